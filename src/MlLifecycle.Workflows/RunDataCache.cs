using System.Collections.Concurrent;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>A run's cleaned data, schema and spec, parsed, with the feature rows and labels the trainers read.</summary>
public sealed record RunData(TabularData Table, DatasetSchema Schema, ProblemSpec Spec, List<string?[]> Rows, List<string> Labels);

/// <summary>
/// The run's cleaned data, schema and spec, parsed once per process: the fold activities of a run share it. The
/// blobs are written once by ValidateDataset, so the cache cannot go stale; only the latest runs are kept.
/// </summary>
public sealed class RunDataCache(ArtifactStore store)
{
    /// <summary>Runs whose parsed data stays in memory for their fold activities.</summary>
    private const int CachedRuns = 2;

    private readonly ConcurrentDictionary<string, Lazy<Task<RunData>>> _runData = new(StringComparer.Ordinal);
    private readonly List<string> _runOrder = [];

    public Task<RunData> GetAsync(RunContext run)
    {
        var lazy = _runData.GetOrAdd(run.RunId, _ => new Lazy<Task<RunData>>(async () =>
        {
            var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
            var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
            var table = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
            var (rows, labels) = FeatureRows.FromTable(table, schema);
            return new RunData(table, schema, spec, rows, labels);
        }));
        lock (_runOrder)
        {
            _runOrder.Remove(run.RunId);
            _runOrder.Add(run.RunId);
            while (_runOrder.Count > CachedRuns)
            {
                _runData.TryRemove(_runOrder[0], out _);
                _runOrder.RemoveAt(0);
            }
        }

        return lazy.Value.ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    _runData.TryRemove(new KeyValuePair<string, Lazy<Task<RunData>>>(run.RunId, lazy));
                }

                return t;
            },
            TaskScheduler.Default).Unwrap();
    }
}
