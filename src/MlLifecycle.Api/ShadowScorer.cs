using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Api;

/// <summary>Shadow scoring so far in this process.</summary>
public sealed record ShadowStats(long Scored, long Failed, long Skipped);

/// <summary>
/// Scores a copy of routed requests with the traffic split's shadow version, off the request path: the request only
/// schedules it. At most one shadow scoring per core runs at once; a request that finds them all busy is skipped, so a
/// slow or failing shadow can neither queue up work nor slow the answers. Outcomes are counted, never thrown.
/// </summary>
public sealed class ShadowScorer(ModelServer server, ILogger<ShadowScorer> logger)
{
    private static readonly Meter Meter = new("MlLifecycle.Serving");
    private static readonly Counter<long> Outcomes = Meter.CreateCounter<long>("mllifecycle.shadow.requests", description: "Shadow scorings by outcome (scored, failed, skipped).");
    private readonly SemaphoreSlim _slots = new(Environment.ProcessorCount);
    private long _scored;
    private long _failed;
    private long _skipped;

    public ShadowStats Stats => new(Interlocked.Read(ref _scored), Interlocked.Read(ref _failed), Interlocked.Read(ref _skipped));

    /// <summary>Queues the shadow scoring of a request's body and returns at once.</summary>
    public void Schedule(string model, int version, JsonElement body)
    {
        if (!_slots.Wait(0))
        {
            Count(ref _skipped, "skipped");
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                var served = (await server.RouteAsync(model, null, version) ?? throw new InvalidOperationException($"Model '{model}' has no version {version}.")).Served;
                served.Predictor.Predict(PredictionInput.FromJson(body, served.Schema, served.Required, int.MaxValue));
                Count(ref _scored, "scored");
            }
            catch (Exception ex)
            {
                Count(ref _failed, "failed");
                logger.LogDebug(ex, "Shadow v{Version} of {Model} failed", version, model);
            }
            finally
            {
                _slots.Release();
            }
        });
    }

    private static void Count(ref long counter, string outcome)
    {
        Interlocked.Increment(ref counter);
        Outcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }
}
