using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;

namespace MlLifecycle.Storage;

/// <summary>A drift check that found something: which features, the prediction and concept verdicts, and where the report is.</summary>
/// <param name="Action">Always <c>drift</c> (webhook receivers tell events apart by it).</param>
public sealed record DriftAlert(string Model, int Version, string CheckId, DateTimeOffset? WindowStart, DateTimeOffset? WindowEnd, long Rows, IReadOnlyList<DriftedFeature> Features, bool PredictionDrifted, string Concept, string Report, string Action = "drift");

/// <summary>One drifted feature's evidence.</summary>
public sealed record DriftedFeature(string Feature, string Test, double? Statistic, double? PValue, double? Psi);

/// <summary>
/// The sink of registry events (register, promote, move, rollback, traffic, stage) and drift alerts: always the log,
/// plus a webhook when <c>MlLifecycle:RegistryWebhook</c> is set (a JSON POST of the <see cref="DeploymentChange"/> or
/// <see cref="DriftAlert"/>, sent in the background, retried 3 times; a failure is logged and never fails the change).
/// Drift alerts also count on the <c>mllifecycle.drift.alerts</c> metric.
/// </summary>
public sealed class RegistryEvents(ILogger<RegistryEvents> logger, Uri? webhook = null, HttpClient? http = null)
{
    private static readonly System.Diagnostics.Metrics.Meter Meter = new("MlLifecycle.Monitoring");
    private static readonly System.Diagnostics.Metrics.Counter<long> Alerts = Meter.CreateCounter<long>("mllifecycle.drift.alerts", description: "Drift checks that raised an alert, by model and kind.");

    public void Publish(DriftAlert alert)
    {
        logger.LogWarning(
            "Drift alert for {Model} v{Version} ({CheckId}, {Rows} rows): features [{Features}], prediction drift {PredictionDrifted}, concept {Concept}; report {Report}",
            alert.Model,
            alert.Version,
            alert.CheckId,
            alert.Rows,
            string.Join(", ", alert.Features.Select(f => f.Feature)),
            alert.PredictionDrifted,
            alert.Concept,
            alert.Report);
        var kind = alert.Features.Count > 0 ? "data" : alert.PredictionDrifted ? "prediction" : "concept";
        Alerts.Add(1, new KeyValuePair<string, object?>("model", alert.Model), new KeyValuePair<string, object?>("kind", kind));
        Send(alert, alert.Action, alert.Model);
    }

    public void Publish(DeploymentChange change)
    {
        var what = string.Join(' ', new[]
        {
            change.Alias,
            change.From is { } from ? $"v{from} →" : null,
            change.To is { } to ? $"v{to}" : null,
            change.Detail,
            $"by {change.By}",
            change.Reason is null ? null : $"({change.Reason})",
        }.Where(part => part is not null));
        logger.LogInformation("Registry {Action}: {Model} {Change}", change.Action, change.Model, what);
        Send(change, change.Action, change.Model);
    }

    private void Send(object payload, string action, string model)
    {
        if (webhook is not null && http is not null)
        {
            _ = SendAsync(payload, action, model);
        }
    }

    private async Task SendAsync(object payload, string action, string model)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http!.PostAsync(webhook, JsonContent.Create(payload, payload.GetType(), options: LifecycleJson.Options));
                response.EnsureSuccessStatusCode();
                return;
            }
            catch (Exception ex) when (attempt < 3)
            {
                logger.LogDebug(ex, "Registry webhook attempt {Attempt} failed", attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Registry webhook {Webhook} did not take the {Action} event of {Model}", webhook, action, model);
                return;
            }
        }
    }
}
