using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>Scores the current champion on a run's test rows, for the promotion gate.</summary>
public sealed class ChampionScorer(ArtifactStore store, ModelRegistry registry, ILogger<ChampionScorer> logger)
{
    /// <summary>The champion's metrics on this run's test rows; null metrics when there is no champion or it cannot read this data.</summary>
    public async Task<(int? Version, Dictionary<string, double>? Metrics)> ScoreAsync(string model, DatasetSchema schema, TabularData data, int[] test)
    {
        if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion) is not { } version || await registry.GetVersionAsync(model, version) is not { } record)
        {
            return (null, null);
        }

        var zip = await store.ReadAsync(ArtifactStore.Artifacts, $"{model}/{version}/model.zip");
        var championSchema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{model}/{version}/schema.json");
        var labelIndex = data.IndexOf(championSchema.Label.Name);
        var newClasses = championSchema.IsClassification && labelIndex >= 0 && test.Any(i => data.Rows[i][labelIndex] is { } l && !championSchema.Classes!.Contains(l));
        if (ArtifactStore.Sha256(zip) != record.ArtifactSha256 || championSchema.Task != schema.Task || championSchema.PositiveClass != schema.PositiveClass
            || labelIndex < 0 || newClasses || championSchema.Features.Any(c => data.IndexOf(c.Name) < 0)
            || championSchema.Features.Any(c => c.History != schema.Features.FirstOrDefault(f => f.Name == c.Name)?.History)) // same history fields, built the same way
        {
            logger.LogWarning("Champion v{Version} of {Model} cannot be scored on this run's data; the gate checks the criteria only", version, model);
            return (version, null);
        }

        var champion = TrainedModel.Load(zip.ToStream(), championSchema, record.Trainer);
        var (rows, labels) = FeatureRows.FromTable(new TabularData(data.Columns, test.Select(i => data.Rows[i]).ToList()), championSchema);
        return (version, ModelScoring.Score(champion, rows, labels, Enumerable.Range(0, rows.Count).ToArray()));
    }
}
