using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.ValidateDataset"/> activity.</summary>
public sealed class ValidateDataset(ArtifactStore store, ModelRegistry registry, IOptions<LifecycleOptions> options, ILogger<ValidateDataset> logger)
{
    /// <summary>
    /// Reads the upload and the spec, infers the schema, finds anomalies (also against the champion's schema), cleans
    /// rows, profiles the data, and stores cleaned data, schema, spec and quality report in the run's folder.
    /// </summary>
    public async Task<ValidationOutcome> RunAsync(RunContext run)
    {
        var properties = await store.TryGetPropertiesAsync(ArtifactStore.Datasets, run.Dataset);
        if (properties is null)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.DatasetNotFound, null, $"Blob 'datasets/{run.Dataset}' does not exist."));
        }

        if (run.ETag is { } etag && !ArtifactStore.SameETag(properties.ETag.ToString(), etag))
        {
            return Rejected(Anomaly.Error(AnomalyCodes.DatasetReplaced, null, $"Blob 'datasets/{run.Dataset}' was replaced after this run started; the new version has its own run."));
        }

        if (properties.ContentLength > options.Value.MaxDatasetBytes)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.FileTooLarge, null, $"The file has {properties.ContentLength} bytes; the limit is {options.Value.MaxDatasetBytes} (MlLifecycle:MaxDatasetBytes)."));
        }

        ProblemSpec spec;
        try
        {
            spec = await ResolveSpecAsync(run, properties.Metadata);
        }
        catch (SpecException ex)
        {
            return Rejected([.. ex.Errors.Select(e => Anomaly.Error(AnomalyCodes.InvalidSpec, e.Field, $"Invalid spec field '{e.Field}': {e.Message}."))]);
        }

        if (await store.TryReadAsync(ArtifactStore.Datasets, run.Dataset, run.ETag) is not { } content)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.DatasetReplaced, null, $"Blob 'datasets/{run.Dataset}' was replaced or deleted while this run read it."));
        }

        try
        {
            var data = CsvLoader.Read(content.ToStream());
            var inspection = SchemaInference.Inspect(data, spec);
            List<Anomaly> anomalies = [.. inspection.Anomalies, .. await CompareWithChampionAsync(run.Model, data)];
            if (inspection.Rejected)
            {
                logger.LogInformation("Run {RunId} rejected: {Codes}", run.RunId, string.Join(", ", anomalies.Where(a => a.Severity == Severity.Error).Select(a => a.Code)));
                return Rejected(anomalies);
            }

            try
            {
                // Metrics, costs and criteria are checked again now that the task is known.
                SpecReader.Validate(spec with { Task = inspection.Schema.Task });
            }
            catch (SpecException ex)
            {
                return Rejected([.. ex.Errors.Select(e => Anomaly.Error(AnomalyCodes.InvalidSpec, e.Field, $"Invalid spec field '{e.Field}' for a {inspection.Schema.Task} label: {e.Message}."))]);
            }

            var cleaning = Cleaner.Clean(data, inspection.Schema, spec.EffectiveCleaning);
            var (table, schema) = HistoryFields.Declare(cleaning.Data, inspection.Schema, spec);
            ValidationPlan.Create(table, schema, spec, run.Model);
            var report = QualityReport.Build(data, inspection.Schema, anomalies, cleaning);
            var resolved = spec with { Label = schema.Label.Name, Task = schema.Task, PositiveClass = schema.PositiveClass, Seed = spec.EffectiveSeed };
            resolved = resolved with { PrimaryMetric = PrimaryMetric.Choose(resolved, schema, report.ImbalanceRatio) };
            using (var cleaned = new MemoryStream())
            {
                CsvLoader.Write(table, cleaned);
                await store.WriteAsync(ArtifactStore.Artifacts, run.DataBlob, BinaryData.FromBytes(cleaned.ToArray()));
            }

            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SchemaBlob, schema);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SpecBlob, resolved);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.QualityBlob, report);
            logger.LogInformation("Run {RunId}: {Rows} rows ({Duplicates} duplicates removed), task {Task}, label {Label}, primary metric {Metric}", run.RunId, schema.Rows, cleaning.DuplicatesRemoved, schema.Task, schema.Label.Name, resolved.PrimaryMetric);
            var summary = new DataSummary(data.Rows.Count, cleaning.DuplicatesRemoved, cleaning.MissingRowsRemoved, schema.Rows, report.Anomalies.Count);
            return new ValidationOutcome(true, schema.Task, schema.Label.Name, resolved.PrimaryMetric, spec.EffectiveSeed, ArtifactStore.Sha256(content), summary, report.Anomalies);
        }
        catch (DataValidationException ex)
        {
            logger.LogInformation("Run {RunId} rejected: {Code} {Message}", run.RunId, ex.Code, ex.Message);
            return Rejected(Anomaly.From(ex));
        }

        static ValidationOutcome Rejected(params IReadOnlyList<Anomaly> anomalies) => new(false, null, null, null, 0, null, null, anomalies);
    }

    /// <summary>The spec of a run: the request's, else <c>datasets/{model}/lifecycle.json</c>, else defaults; the blob's <c>label</c> metadata fills a missing label.</summary>
    private async Task<ProblemSpec> ResolveSpecAsync(RunContext run, IDictionary<string, string> metadata)
    {
        var spec = run.Spec is { } requested ? SpecReader.Validate(requested)
            : await store.TryReadAsync(ArtifactStore.Datasets, $"{run.Model}/{LifecycleInfo.SpecFileName}") is { } json ? SpecReader.Parse(json.ToString())
            : new ProblemSpec();
        return spec.Label is null && metadata.TryGetValue("label", out var label) ? spec with { Label = label } : spec;
    }

    /// <summary>Anomalies of the new data against the champion's schema, as warnings: a retrain may change the data on purpose.</summary>
    private async Task<IEnumerable<Anomaly>> CompareWithChampionAsync(string model, TabularData data)
    {
        if (await registry.ResolveAliasAsync(model, ModelRegistry.Champion) is not { } version
            || await store.TryReadAsync(ArtifactStore.Artifacts, $"{model}/{version}/schema.json") is not { } json)
        {
            return [];
        }

        var champion = LifecycleJson.Deserialize<DatasetSchema>(json.ToString());
        return SchemaValidator.Validate(data, champion, requireLabel: true)
            .Select(a => a with { Severity = Severity.Warning, Message = $"Compared with champion v{version}: {a.Message}" });
    }
}
