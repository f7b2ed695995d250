using System.Diagnostics;
using Microsoft.DurableTask;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>
/// A forced crash for the reliability tests, off unless <c>MLLIFECYCLE_FAILPOINT</c> is set: <c>{activity}</c> kills the
/// process (SIGKILL to itself, as <c>kill -9</c>) when that activity starts, <c>{activity}:after</c> when its body has
/// returned and before its result is stored; <c>MLLIFECYCLE_FAILPOINT_INSTANCE</c> limits it to one orchestration.
/// </summary>
internal static class Failpoint
{
    private static readonly string? Setting = Environment.GetEnvironmentVariable("MLLIFECYCLE_FAILPOINT");
    private static readonly string? Instance = Environment.GetEnvironmentVariable("MLLIFECYCLE_FAILPOINT_INSTANCE");

    /// <summary>The activity as registered, or wrapped in the failpoint when the setting names it.</summary>
    public static ITaskActivity Wrap(string name, ITaskActivity activity) =>
        Setting is { } setting && setting.Split(':')[0] == name ? new Crashing(activity, After: setting.EndsWith(":after", StringComparison.Ordinal)) : activity;

    private sealed record Crashing(ITaskActivity Inner, bool After) : ITaskActivity
    {
        public Type InputType => Inner.InputType;

        public Type OutputType => Inner.OutputType;

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            var hit = Instance is null || context.InstanceId == Instance;
            if (hit && !After)
            {
                Process.GetCurrentProcess().Kill();
            }

            var output = await Inner.RunAsync(context, input);
            if (hit)
            {
                Process.GetCurrentProcess().Kill();
            }

            return output;
        }
    }
}
