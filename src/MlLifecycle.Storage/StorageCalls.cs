using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;
using MlLifecycle.Core;

namespace MlLifecycle.Storage;

/// <summary>
/// Counts every request the Blob and Table clients send (retries included), as the <c>mllifecycle.storage.calls</c>
/// metric and as <see cref="Count"/>: how the serving hot path is shown to make no storage call. Inside a trace (an
/// activity of a lifecycle run, a traced prediction) each request is also a <c>storage</c> span.
/// </summary>
public sealed class StorageCalls : HttpPipelinePolicy
{
    public const string MeterName = "MlLifecycle.Storage";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("mllifecycle.storage.calls", description: "Requests sent to Blob and Table storage.");
    private long _count;

    /// <summary>Requests sent by this process's storage clients so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        using var span = Start(message);
        ProcessNext(message, pipeline);
        End(span, message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        using var span = Start(message);
        await ProcessNextAsync(message, pipeline);
        End(span, message);
    }

    private Activity? Start(HttpMessage message)
    {
        Interlocked.Increment(ref _count);
        Calls.Add(1);
        if (Activity.Current is null)
        {
            return null; // no root spans: background polling and untraced requests stay out of the traces
        }

        var uri = message.Request.Uri;
        return Telemetry.Source.StartActivity($"storage {message.Request.Method}", ActivityKind.Client)?
            .SetTag("http.request.method", message.Request.Method.ToString())
            .SetTag("server.address", uri.Host)
            .SetTag("url.path", uri.Path);
    }

    private static void End(Activity? span, HttpMessage message)
    {
        if (span is not null && message.HasResponse)
        {
            span.SetTag("http.response.status_code", message.Response.Status);
            if (message.Response.IsError)
            {
                span.SetStatus(ActivityStatusCode.Error);
            }
        }
    }
}
