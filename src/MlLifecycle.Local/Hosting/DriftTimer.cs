using Microsoft.Extensions.Options;
using MlLifecycle.Api;
using MlLifecycle.Workflows;
using NCrontab;

namespace MlLifecycle.Local.Hosting;

/// <summary>
/// The local drift timer: on the same NCRONTAB schedule (<c>MlLifecycle:DriftSchedule</c>) and calling the same
/// handler as the Functions <c>TimerTrigger</c>.
/// </summary>
internal sealed class DriftTimer(DriftCheck check, IOptions<LifecycleOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = CrontabSchedule.Parse(options.Value.DriftSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await Task.Delay(schedule.GetNextOccurrence(now) - now, time, stoppingToken);
            await check.RunAsync(stoppingToken);
        }
    }
}
