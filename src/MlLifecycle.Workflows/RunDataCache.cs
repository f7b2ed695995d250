using System.Collections.Concurrent;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>A run's cleaned data, schema and spec, parsed, with the feature rows and labels the trainers read.</summary>
public sealed record RunData(TabularData Table, DatasetSchema Schema, ProblemSpec Spec, List<string?[]> Rows, List<string> Labels);

/// <summary>
/// The run's cleaned data, schema and spec, and its split plan, parsed once per process: the fold and trial activities
/// of a run share them. The blobs are written once (by ValidateDataset and SplitDataset; a retry writes the same
/// content), so the cache cannot go stale; only the latest runs are kept.
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
        var table = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
        var (rows, labels) = FeatureRows.FromTable(table, schema);
        return new RunData(table, schema, spec, rows, labels);
    });

    /// <summary>The run's split and folds (<c>split.json</c>); only after SplitDataset has written it.</summary>
    public Task<ValidationPlan> GetPlanAsync(RunContext run) =>
        GetAsync(_plans, run, () => store.ReadJsonAsync<ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob));

    private Task<T> GetAsync<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, RunContext run, Func<Task<T>> load)
    {
        var lazy = cache.GetOrAdd(run.RunId, _ => new Lazy<Task<T>>(load));
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
}
