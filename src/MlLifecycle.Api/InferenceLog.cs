using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>
/// The prediction log and feedback, written off the request path: a request only queues its record (a bounded queue;
/// when it is full the record is dropped and counted, never waited for), and a background loop appends what arrived
/// about once a second to <see cref="InferenceLogStore"/>. Requests served under a traffic split are always logged
/// (the A/B test joins feedback to them); others at <see cref="ServingOptions.LogSampleRate"/>. Request ids start with
/// the request's UTC time, <c>yyyyMMddHHmmss-…</c>, which files feedback under its prediction's hour.
/// </summary>
public sealed class InferenceLog(InferenceLogStore store, IOptions<ServingOptions> options, TimeProvider time, ILogger<InferenceLog> logger) : BackgroundService
{
    private static readonly Meter Meter = new("MlLifecycle.Serving");
    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>("mllifecycle.inference_log.dropped", description: "Log records dropped because the queue was full.");
    private readonly Channel<(string Model, string Kind, DateTimeOffset Hour, object Record)> _queue =
        Channel.CreateBounded<(string, string, DateTimeOffset, object)>(new BoundedChannelOptions(50_000) { FullMode = BoundedChannelFullMode.DropWrite }, _ => Dropped.Add(1));

    private readonly Dictionary<(string Model, string Kind, DateTimeOffset Hour), List<string>> _pending = [];
    private readonly SemaphoreSlim _flushing = new(1, 1);

    private readonly string _writer = Guid.NewGuid().ToString("N")[..12];

    /// <summary>A new request id: its UTC time to the second, then 16 random hex digits.</summary>
    public string NewRequestId(DateTimeOffset at) => $"{at.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}-{Random.Shared.NextInt64():x16}";

    /// <summary>The UTC hour a request id was issued in; null for an id this service did not issue.</summary>
    public static DateTimeOffset? HourOf(string requestId) =>
        requestId.Length > 15 && requestId[14] == '-' && DateTime.TryParseExact(requestId[..10], "yyyyMMddHH", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var hour)
            ? new DateTimeOffset(hour, TimeSpan.Zero)
            : null;

    /// <summary>Whether to log a request: always under a traffic split, else at the sample rate.</summary>
    public bool ShouldLog(bool split) => split || Random.Shared.NextDouble() < options.Value.LogSampleRate;

    public void Prediction(string model, LoggedPrediction record) => Enqueue(model, InferenceLogStore.Predictions, record.At, record);

    public void Feedback(string model, DateTimeOffset predictionHour, LoggedFeedback record) => Enqueue(model, InferenceLogStore.Feedback, predictionHour, record);

    /// <summary>Writes what is queued now (tests, and the last flush on stop).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        // One flush at a time: a flush that returns has written everything queued before it was called.
        await _flushing.WaitAsync(ct);
        try
        {
            Dictionary<(string Model, string Kind, DateTimeOffset Hour), List<string>> batch;
            lock (_pending)
            {
                Drain();
                batch = new(_pending);
                _pending.Clear();
            }

            Telemetry.Backlog.Add(-batch.Values.Sum(lines => lines.Count), BacklogTag);

            foreach (var ((model, kind, hour), lines) in batch)
            {
                await store.AppendAsync(model, kind, hour, _writer, lines, ct);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>
    /// Serializes records as they arrive (so a request's rows are not kept alive, and promoted by the GC, for the
    /// second until the next write) and appends what has accumulated about once a second.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var due = time.GetUtcNow() + FlushInterval;
            while (!stoppingToken.IsCancellationRequested)
            {
                lock (_pending)
                {
                    Drain();
                }

                if (time.GetUtcNow() >= due)
                {
                    // Not cancelled by the stop: a batch taken for writing is written (storage timeouts bound it).
                    await FlushLoggingAsync(CancellationToken.None);
                    due = time.GetUtcNow() + FlushInterval;
                }

                var wait = due - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    using var timer = new CancellationTokenSource(wait, time);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
                    try
                    {
                        await _queue.Reader.WaitToReadAsync(timeout.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Time to write.
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await FlushLoggingAsync(CancellationToken.None); // what arrived before the stop is not lost
    }

    private static readonly KeyValuePair<string, object?> BacklogTag = new("queue", "inference-log");

    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>Serializes what is queued into <see cref="_pending"/>; the caller holds its lock.</summary>
    private void Drain()
    {
        while (_queue.Reader.TryRead(out var item))
        {
            var key = (item.Model, item.Kind, InferenceLogStore.Truncate(item.Hour));
            (_pending.TryGetValue(key, out var lines) ? lines : _pending[key] = []).Add(JsonSerializer.Serialize(item.Record, LifecycleJson.Compact));
        }
    }

    private async Task FlushLoggingAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not write the inference log; the batch is lost");
        }
    }

    private void Enqueue(string model, string kind, DateTimeOffset hour, object record)
    {
        if (_queue.Writer.TryWrite((model, kind, hour, record)))
        {
            Telemetry.Backlog.Add(1, BacklogTag);
        }
    }
}
