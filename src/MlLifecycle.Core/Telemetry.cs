using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MlLifecycle.Core;

/// <summary>
/// The platform's own spans and metrics (OpenTelemetry through System.Diagnostics; the hosts choose the exporters).
/// A lifecycle run's trace is the Durable Task Framework's: its orchestration, activity and timer spans, with this
/// source's storage calls inside the activities.
/// </summary>
public static class Telemetry
{
    /// <summary>Name of the activity source and of the meter; other meters of the platform are named <c>MlLifecycle.*</c>.</summary>
    public const string Name = "MlLifecycle";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// Starts a span for a sample of <paramref name="rate"/> of the calls. ASP.NET Core makes an activity for every
    /// request, for its log scopes, even when no tracer records it; a child of it would be dropped by the parent-based
    /// sampler, so such a parent is set aside (in the calling async method only) and the span is a root.
    /// </summary>
    public static Activity? StartSampled(string name, double rate)
    {
        if (Random.Shared.NextDouble() >= rate || !Source.HasListeners())
        {
            return null;
        }

        if (Activity.Current is { Recorded: false })
        {
            Activity.Current = null;
        }

        return Source.StartActivity(name, ActivityKind.Server);
    }

    /// <summary>Rows answered by the prediction route, by model, version and variant (the alias when no traffic split chose).</summary>
    public static readonly Counter<long> Predictions = Meter.CreateCounter<long>("mllifecycle.predictions", "{row}", "Rows scored by the prediction route.");

    /// <summary>Time from a prediction request's body read to its answer, by model.</summary>
    public static readonly Histogram<double> PredictionDuration = Meter.CreateHistogram<double>("mllifecycle.prediction.duration", "ms", "Time to route and score a prediction request.");

    /// <summary>Time an activity body took on this host, by activity and outcome.</summary>
    public static readonly Histogram<double> ActivityDuration = Meter.CreateHistogram<double>("mllifecycle.activity.duration", "s", "Time a lifecycle activity took.");

    /// <summary>Time a tuning trial took to train and score, by model and trainer.</summary>
    public static readonly Histogram<double> TrialDuration = Meter.CreateHistogram<double>("mllifecycle.tuning.trial.duration", "s", "Time a tuning trial took to train and score.");

    /// <summary>Population stability index of each checked feature (and of the predictions), by model, feature and whether it drifted.</summary>
    public static readonly Histogram<double> DriftScore = Meter.CreateHistogram<double>("mllifecycle.drift.psi", "1", "Population stability index of a feature in a drift check.");

    /// <summary>Records waiting in an in-process queue (the inference log's writer), by queue.</summary>
    public static readonly UpDownCounter<long> Backlog = Meter.CreateUpDownCounter<long>("mllifecycle.queue.backlog", "{record}", "Records waiting in an in-process queue.");
}
