using System.Diagnostics;
using Microsoft.DurableTask;
using MlLifecycle.Core;

namespace MlLifecycle.Workflows;

/// <summary>An activity that forwards its input to a delegate (how the local host registers activities), timing it.</summary>
public sealed class DelegateActivity<TInput, TOutput>(Func<TInput, Task<TOutput>> run) : TaskActivity<TInput, TOutput>
{
    public override async Task<TOutput> RunAsync(TaskActivityContext context, TInput input)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            var output = await run(input);
            outcome = "completed";
            return output;
        }
        finally
        {
            Telemetry.ActivityDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("activity", context.Name.Name), new("outcome", outcome));
        }
    }
}
