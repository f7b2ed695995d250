using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;

namespace MlLifecycle.Storage;

/// <summary>
/// The sink of registry events (register, promote, move, rollback, traffic, stage): always the log, plus a webhook when
/// <c>MlLifecycle:RegistryWebhook</c> is set (a JSON POST of the <see cref="DeploymentChange"/>, sent in the background,
/// retried 3 times; a failure is logged and never fails the change).
/// </summary>
public sealed class RegistryEvents(ILogger<RegistryEvents> logger, Uri? webhook = null, HttpClient? http = null)
{
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
        if (webhook is not null && http is not null)
        {
            _ = SendAsync(change);
        }
    }

    private async Task SendAsync(DeploymentChange change)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http!.PostAsJsonAsync(webhook, change, LifecycleJson.Options);
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
                logger.LogWarning(ex, "Registry webhook {Webhook} did not take the {Action} event of {Model}", webhook, change.Action, change.Model);
                return;
            }
        }
    }
}
