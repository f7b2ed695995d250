using Azure.Storage.Blobs.Models;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Experiments;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.PrepareRetrain"/> activity.</summary>
public sealed class PrepareRetrain(ModelRegistry registry, ArtifactStore store, InferenceLogStore log)
{
    /// <summary>
    /// Takes the model's retraining lock (one retrain of a model at a time), then writes the retraining data to
    /// <c>datasets/{model}/retrain/{retrainId}.csv</c> (a path neither blob trigger starts a run for) as the champion's
    /// spec says: its training data plus the window's labelled predictions, or the newest labelled CSV in
    /// <c>monitoring/{model}/</c>. Refuses, with the reason, when the lock is held or there is nothing new to learn from.
    /// </summary>
    public async Task<RetrainPlan> RunAsync(RetrainInput input)
    {
        if (!await registry.TryClaimRetrainAsync(input.Model, input.RetrainId, input.Now.AddHours(input.LockHours), input.Now))
        {
            return RetrainPlan.Refused($"another retrain of {input.Model} is running");
        }

        try
        {
            var champion = await registry.GetVersionAsync(input.Model, input.Champion) ?? throw new InvalidOperationException($"{input.Model} v{input.Champion} is not registered.");
            var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, $"{input.Model}/{input.Champion}/spec.json");
            var schema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{input.Model}/{input.Champion}/schema.json");
            var data = spec.EffectiveMonitor.Data == RetrainData.LatestBatch
                ? await LatestBatchAsync(input.Model, champion.Label)
                : await ReferencePlusRecentAsync(input, champion, schema);
            if (data.Table is null)
            {
                await registry.ReleaseRetrainAsync(input.Model, input.RetrainId);
                return RetrainPlan.Refused(data.Why!);
            }

            var dataset = $"{input.Model}/retrain/{input.RetrainId}.csv";
            using var content = new MemoryStream();
            CsvLoader.Write(data.Table, content);
            await store.WriteAsync(ArtifactStore.Datasets, dataset, BinaryData.FromBytes(content.ToArray()));
            return new RetrainPlan(dataset, spec with { Label = champion.Label }, data.Table.Rows.Count, data.Recent, null);
        }
        catch
        {
            await registry.ReleaseRetrainAsync(input.Model, input.RetrainId); // a failed preparation holds nothing
            throw;
        }
    }

    private async Task<(TabularData? Table, int Recent, string? Why)> ReferencePlusRecentAsync(RetrainInput input, ModelVersion champion, DatasetSchema schema)
    {
        var raw = await store.TryReadAsync(ArtifactStore.Datasets, champion.Dataset);
        if (raw is null || ArtifactStore.Sha256(raw) != champion.DataSha256)
        {
            return (null, 0, $"the champion's training data datasets/{champion.Dataset} is gone or has changed since v{champion.Version} was trained (set monitor.data to LatestBatch)");
        }

        var reference = CsvLoader.Read(raw.ToStream());
        var label = reference.IndexOf(champion.Label);
        List<string?[]> rows = [.. reference.Rows];
        var recent = 0;
        foreach (var (prediction, actuals) in await log.ReadWindowAsync(input.Model, input.From, input.To))
        {
            var columns = prediction.Features.Select(reference.IndexOf).ToArray();
            foreach (var (cells, actual) in prediction.Rows.Zip(actuals ?? []))
            {
                if (Outcome.Label(actual, schema) is not { } truth)
                {
                    continue; // not a value the model knows (a class it was not trained on, or not a number)
                }

                var row = new string?[reference.Columns.Count];
                for (var c = 0; c < columns.Length; c++)
                {
                    if (columns[c] >= 0 && c < cells.Length)
                    {
                        row[columns[c]] = cells[c];
                    }
                }

                row[label] = truth;
                rows.Add(row);
                recent++;
            }
        }

        return recent == 0
            ? (null, 0, "the window has no labelled predictions to learn from (send feedback, or set monitor.data to LatestBatch)")
            : (new TabularData(reference.Columns, rows), recent, null);
    }

    private async Task<(TabularData? Table, int Recent, string? Why)> LatestBatchAsync(string model, string label)
    {
        var container = store.Service.GetBlobContainerClient(ArtifactStore.Monitoring);
        List<BlobItem> batches = [];
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{model}/", default))
        {
            if (blob.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                batches.Add(blob);
            }
        }

        foreach (var blob in batches.OrderByDescending(b => b.Properties.LastModified))
        {
            var table = CsvLoader.Read((await store.ReadAsync(ArtifactStore.Monitoring, blob.Name)).ToStream());
            if (table.IndexOf(label) >= 0)
            {
                return (table, table.Rows.Count, null);
            }
        }

        return (null, 0, $"monitoring/{model}/ holds no CSV with the label column '{label}'");
    }
}
