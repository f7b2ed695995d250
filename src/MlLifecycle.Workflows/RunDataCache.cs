using System.Collections.Concurrent;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>A run's cleaned table, schema and spec, with the feature rows and labels the trainers read (views over the table).</summary>
public sealed record RunData(ColumnTable Table, DatasetSchema Schema, ProblemSpec Spec, FeatureSource Rows, IReadOnlyList<string> Labels)
{
    public static RunData Of(ColumnTable table, DatasetSchema schema, ProblemSpec spec)
    {
        var (rows, labels) = FeatureRows.FromTable(table, schema);
        return new RunData(table, schema, spec, rows, labels);
    }
}

/// <summary>
/// The run's cleaned table, schema and spec, and its split plan, once per process: the fold and trial activities of a
/// run share one table (folds and trials are row indexes over it). The host that validated the data keeps what it
/// built; another host loads the stored table, a copy of arrays, not a parse. The blobs are written once (by
/// ValidateDataset; a retry writes the same content), so the cache cannot go stale; only the latest runs are kept.
/// </summary>
public sealed class RunDataCache(ArtifactStore store)
{
    /// <summary>Runs whose parsed data stays in memory for their fold activities.</summary>
    private const int CachedRuns = 2;

    private readonly ConcurrentDictionary<string, Lazy<Task<RunData>>> _runData = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<ValidationPlan>>> _plans = new(StringComparer.Ordinal);
    private readonly List<string> _runOrder = [];

    public Task<RunData> GetAsync(RunContext run) => GetAsync(_runData, run, async () =>
    {
        var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
        await using var stream = await store.TryOpenReadAsync(ArtifactStore.Artifacts, run.DataBlob, etag: null)
            ?? throw new FileNotFoundException($"Blob '{ArtifactStore.Artifacts}/{run.DataBlob}' does not exist.");
        return RunData.Of(TableFile.Read(stream), schema, spec);
    });

    /// <summary>The run's split and folds (<c>split.json</c>); only after ValidateDataset has written it.</summary>
    public Task<ValidationPlan> GetPlanAsync(RunContext run) =>
        GetAsync(_plans, run, () => store.ReadJsonAsync<ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob));

    /// <summary>Keeps what the validation stage built and stored, so this host's later stages of the run need not load it.</summary>
    public void Put(RunContext run, RunData data, ValidationPlan plan)
    {
        _runData[run.RunId] = new Lazy<Task<RunData>>(Task.FromResult(data));
        _plans[run.RunId] = new Lazy<Task<ValidationPlan>>(Task.FromResult(plan));
        Touch(run);
    }

    private Task<T> GetAsync<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, RunContext run, Func<Task<T>> load)
    {
        var lazy = cache.GetOrAdd(run.RunId, _ => new Lazy<Task<T>>(load));
        Touch(run);
        return lazy.Value.ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    cache.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(run.RunId, lazy));
                }

                return t;
            },
            TaskScheduler.Default).Unwrap();
    }

    /// <summary>Marks a run as the latest used, and forgets the oldest beyond <see cref="CachedRuns"/>.</summary>
    private void Touch(RunContext run)
    {
        lock (_runOrder)
        {
            _runOrder.Remove(run.RunId);
            _runOrder.Add(run.RunId);
            while (_runOrder.Count > CachedRuns)
            {
                _runData.TryRemove(_runOrder[0], out _);
                _plans.TryRemove(_runOrder[0], out _);
                _runOrder.RemoveAt(0);
            }
        }
    }
}
