using System.Collections.Concurrent;
using Microsoft.DurableTask;
using MlLifecycle.Core;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>How many of something are running now, and the most that ever ran at once.</summary>
public sealed class Gauge
{
    private int _now;
    private int _most;

    public int Most => Volatile.Read(ref _most);

    /// <summary>Counts one more running until the returned scope is disposed.</summary>
    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _now);
        int seen;
        while ((seen = Volatile.Read(ref _most)) < now && Interlocked.CompareExchange(ref _most, now, seen) != seen)
        {
        }

        return new Exit(this);
    }

    private sealed class Exit(Gauge gauge) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref gauge._now);
            }
        }
    }
}

/// <summary>
/// Wraps the real orchestrators and activities of a <see cref="WorkflowTasks"/> to watch them per orchestration
/// instance — orchestrator episodes (each one replays the history), activities' inputs, how many ran at once, how many completed —
/// and to substitute one activity of one instance (failure injection) while every other run gets the real one. The
/// wrappers take the real task's input and output types, so they do not depend on what those types are.
/// </summary>
public sealed class ActivityProbe
{
    private readonly ConcurrentDictionary<string, int> _episodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Instance, string Activity), Gauge> _running = new();
    private readonly ConcurrentDictionary<(string Instance, string Activity), int> _completed = new();
    private readonly ConcurrentDictionary<(string Instance, string Activity), ConcurrentQueue<object?>> _inputs = new();
    private readonly ConcurrentDictionary<(string Instance, string Activity), Func<object?, Task<object?>>> _substitutes = new();
    private readonly ConcurrentDictionary<string, bool> _repeats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _thrown = new(StringComparer.Ordinal);

    public WorkflowTasks Wrap(WorkflowTasks tasks) => new(
        tasks.Orchestrators.ToDictionary(o => o.Key, o => (Func<ITaskOrchestrator>)(() => new Orchestrator(this, o.Value()))),
        tasks.Activities.ToDictionary(a => a.Key, a => (Func<IServiceProvider, ITaskActivity>)(services => new Activity(this, a.Key, a.Value(services)))));

    /// <summary>
    /// Activities of instances whose id starts with <paramref name="prefix"/> run their body twice (the second answer is
    /// returned), or, with <paramref name="throwAfter"/>, once and then throw a transient error, so the retry policy
    /// delivers them again: what a host dying after the side effect, before the completion is recorded, does.
    /// </summary>
    public void Repeat(string prefix, bool throwAfter) => _repeats[prefix] = throwAfter;

    /// <summary>Runs <paramref name="run"/> instead of <paramref name="activity"/> when <paramref name="instanceId"/> calls it.</summary>
    public void Substitute(string instanceId, string activity, Func<object?, Task<object?>> run) => _substitutes[(instanceId, activity)] = run;

    /// <summary>Orchestrator episodes of the instance so far: the first, and one replay per batch of new events.</summary>
    public int Episodes(string instanceId) => _episodes.GetValueOrDefault(instanceId);

    /// <summary>The most executions of <paramref name="activity"/> for the instance that ever ran at once.</summary>
    public int MostRunning(string instanceId, string activity) => _running.TryGetValue((instanceId, activity), out var gauge) ? gauge.Most : 0;

    /// <summary>The inputs <paramref name="activity"/> received from the instance, one per execution.</summary>
    public IReadOnlyList<object?> Inputs(string instanceId, string activity) => _inputs.TryGetValue((instanceId, activity), out var inputs) ? [.. inputs] : [];

    /// <summary>Executions of <paramref name="activity"/> for the instance that returned.</summary>
    public int Completed(string instanceId, string activity) => _completed.GetValueOrDefault((instanceId, activity));

    private sealed class Orchestrator(ActivityProbe probe, ITaskOrchestrator inner) : ITaskOrchestrator
    {
        public Type InputType => inner.InputType;

        public Type OutputType => inner.OutputType;

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
        {
            probe._episodes.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
            return inner.RunAsync(context, input);
        }
    }

    private sealed class Activity(ActivityProbe probe, string name, ITaskActivity inner) : ITaskActivity
    {
        public Type InputType => inner.InputType;

        public Type OutputType => inner.OutputType;

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            var key = (context.InstanceId, name);
            probe._inputs.GetOrAdd(key, _ => new ConcurrentQueue<object?>()).Enqueue(input);
            object? output;
            using (probe._running.GetOrAdd(key, _ => new Gauge()).Enter())
            {
                output = probe._substitutes.TryGetValue(key, out var substitute) ? await substitute(input) : await inner.RunAsync(context, input);
                if (probe._repeats.FirstOrDefault(r => context.InstanceId.StartsWith(r.Key, StringComparison.Ordinal)) is { Key: not null } repeat)
                {
                    if (!repeat.Value)
                    {
                        output = await inner.RunAsync(context, input);
                    }
                    else if (probe._thrown.TryAdd($"{context.InstanceId}/{name}/{LifecycleJson.Serialize(input)}", 0))
                    {
                        throw new IOException($"Injected after {name} did its work, before its completion was recorded.");
                    }
                }
            }

            probe._completed.AddOrUpdate(key, 1, (_, n) => n + 1);
            return output;
        }
    }
}
