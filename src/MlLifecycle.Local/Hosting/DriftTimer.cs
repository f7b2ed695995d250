using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using MlLifecycle.Api;
using MlLifecycle.Workflows;
using NCrontab;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The local drift timer: on the same NCRONTAB schedule (<c>MlLifecycle:DriftSchedule</c>) and calling the same
/// handler as the Functions <c>TimerTrigger</c>.
/// </summary>
internal sealed class DriftTimer(DriftCheck check, DurableTaskClient client, IOptions<LifecycleOptions> options, TimeProvider time, ILogger<DriftTimer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = CrontabSchedule.Parse(options.Value.DriftSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await Task.Delay(schedule.GetNextOccurrence(now) - now, time, stoppingToken);
            try
            {
                await check.RunAsync(client, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Drift check failed; the next one runs on schedule");
            }
        }
    }
}
