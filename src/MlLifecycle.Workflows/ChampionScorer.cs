using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>
/// Scores the current champion on a run's test rows, for the promotion gate. When the champion serves a refit on every
/// row, its evaluated model is scored instead: the refit may have trained on rows of this test split.
/// </summary>
public sealed class ChampionScorer(ArtifactStore store, ModelRegistry registry, ILogger<ChampionScorer> logger)
{
    /// <summary>
    /// The champion's metrics on this run's test rows; null metrics when there is no champion, or when it is not
    /// compared (and why): it was split otherwise, so it may have trained on these rows, or it cannot read this data.
    /// </summary>
    public async Task<(int? Version, Dictionary<string, double>? Metrics, string? Unscored)> ScoreAsync(string model, DatasetSchema schema, ProblemSpec spec, ColumnTable data, int[] test)
    {
        if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion) is not { } version || await registry.GetVersionAsync(model, version) is not { } record)
        {
            return (null, null, null);
        }

        var split = ValidationPlan.DescribeSplit(spec);
        if (record.Split != split)
        {
            var why = $"it was split '{record.Split ?? "by a seeded shuffle"}' and this run '{split}', so it may have trained on this run's test rows";
            logger.LogWarning("Champion v{Version} of {Model} is not compared: {Why}; the gate checks the criteria only", version, model, why);
            return (version, null, why);
        }

        var (file, sha) = record.EvaluatedSha256 is { } evaluated ? (ModelRegistry.EvaluatedModelFile, evaluated) : ("model.zip", record.ArtifactSha256);
        var zip = await store.TryReadAsync(ArtifactStore.Artifacts, $"{model}/{version}/{file}") ?? BinaryData.Empty;
        var championSchema = await store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, $"{model}/{version}/schema.json");
        var label = data.Find(championSchema.Label.Name);
        var newClasses = championSchema.IsClassification && label is not null && test.Any(i => label.Text(i) is { } l && !championSchema.Classes!.Contains(l));
        if (ArtifactStore.Sha256(zip) != sha || championSchema.Task != schema.Task || championSchema.PositiveClass != schema.PositiveClass
            || label is null || newClasses || championSchema.Features.Any(c => data.IndexOf(c.Name) < 0)
            || championSchema.Features.Any(c => c.History != schema.Features.FirstOrDefault(f => f.Name == c.Name)?.History)) // same history fields, built the same way
        {
            logger.LogWarning("Champion v{Version} of {Model} cannot be scored on this run's data; the gate checks the criteria only", version, model);
            return (version, null, "it cannot be scored on this run's data (another task, label, class set or features, or its model file fails its SHA-256 check)");
        }

        var champion = TrainedModel.Load(zip.ToStream(), championSchema, record.Trainer);
        var (rows, labels) = FeatureRows.FromTable(data, championSchema);
        return (version, ModelScoring.Score(champion, rows, labels, test), null);
    }
}
