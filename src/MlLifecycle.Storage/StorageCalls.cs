using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MlLifecycle.Storage;

/// <summary>
/// Counts every request the Blob and Table clients send (retries included), as the <c>mllifecycle.storage.calls</c>
/// metric and as <see cref="Count"/>: how the serving hot path is shown to make no storage calls.
/// </summary>
public sealed class StorageCalls : HttpPipelineSynchronousPolicy
{
    public const string MeterName = "MlLifecycle.Storage";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("mllifecycle.storage.calls", description: "Requests sent to Blob and Table storage.");
    private long _count;

    /// <summary>Requests sent by this process's storage clients so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message)
    {
        Interlocked.Increment(ref _count);
        Calls.Add(1);
    }
}
