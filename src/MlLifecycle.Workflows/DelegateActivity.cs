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
        catch (OutOfMemoryException ex)
        {
            // The heap is held to the memory budget; an activity that outgrew it leaves the engine's bookkeeping of its
            // message half done, and the run would wait for it forever. End the process, as an instance's memory limit
            // would: the attempt log counts the death, and past its cutoff the run fails saying so.
            Environment.FailFast($"Activity {context.Name.Name} ran out of memory within the memory budget (MlLifecycle:MemoryBudgetMb).", ex);
            throw;
        }
        finally
        {
            Telemetry.ActivityDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("activity", context.Name.Name), new("outcome", outcome));
            ActivityTally.Add(context.Name.Name);
        }
    }
}

/// <summary>How many activities this process ran, by name (ended either way): what a host did, shown by its health route.</summary>
public static class ActivityTally
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> Counts = new(StringComparer.Ordinal);

    public static void Add(string activity) => Counts.AddOrUpdate(activity, 1, (_, n) => n + 1);

    public static IReadOnlyDictionary<string, long> Snapshot() => new SortedDictionary<string, long>(Counts, StringComparer.Ordinal);
}
