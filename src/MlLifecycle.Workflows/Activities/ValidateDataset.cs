using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.ValidateDataset"/> activity.</summary>
public sealed class ValidateDataset(ArtifactStore store, ModelRegistry registry, RunDataCache cache, IOptions<LifecycleOptions> options, ILogger<ValidateDataset> logger)
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

        if (properties.ContentLength > options.Value.EffectiveMaxDatasetBytes)
        {
            return Rejected(Anomaly.Error(AnomalyCodes.FileTooLarge, null, $"The file has {properties.ContentLength} bytes; the limit is {options.Value.EffectiveMaxDatasetBytes} (MlLifecycle:MaxDatasetBytes, by default the memory budget MlLifecycle:MemoryBudgetMb)."));
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

        ColumnTable data;
        string dataSha;
        var watch = Stopwatch.StartNew();
        try
        {
            if (await ReadAsync(run, spec, properties.ContentLength) is not { } read)
            {
                return Rejected(Anomaly.Error(AnomalyCodes.DatasetReplaced, null, $"Blob 'datasets/{run.Dataset}' was replaced or deleted while this run read it."));
            }

            (data, dataSha) = read;
        }
        catch (DataValidationException ex)
        {
            logger.LogInformation("Run {RunId} rejected: {Code} {Message}", run.RunId, ex.Code, ex.Message);
            return Rejected(Anomaly.From(ex));
        }

        var readIn = watch.Elapsed;
        try
        {
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
            var report = QualityReport.Build(data, inspection.Schema, anomalies, cleaning);
            var rowsRead = data.RowCount;
            data.Retain(cleaning.Keep);
            var (table, schema) = HistoryFields.Declare(data, inspection.Schema, spec);
            var resolved = spec with { Label = schema.Label.Name, Task = schema.Task, PositiveClass = schema.PositiveClass, Seed = spec.EffectiveSeed };
            resolved = resolved with { PrimaryMetric = PrimaryMetric.Choose(resolved, schema, report.ImbalanceRatio) };
            var (trainers, leftOut, refused) = Candidates(resolved, table);
            if (refused is not null)
            {
                return Rejected(refused);
            }

            if (leftOut is not null)
            {
                resolved = resolved with { Validation = resolved.EffectiveValidation with { Trainers = trainers } };
                report = report with { Anomalies = [.. report.Anomalies, leftOut] };
            }

            var plan = ValidationPlan.Create(table, schema, resolved, run.Model);
            var checkedAt = watch.Elapsed;
            await store.WriteStreamingAsync(ArtifactStore.Artifacts, run.DataBlob, stream => TableFile.Write(table, stream));

            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SchemaBlob, schema);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SpecBlob, resolved);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.QualityBlob, report);
            await store.WriteJsonAsync(ArtifactStore.Artifacts, run.SplitBlob, plan);
            cache.Put(run, RunData.Of(table, schema, resolved), plan);
            logger.LogInformation("Run {RunId}: {Rows} rows ({Duplicates} duplicates removed), task {Task}, label {Label}, primary metric {Metric}", run.RunId, schema.Rows, cleaning.DuplicatesRemoved, schema.Task, schema.Label.Name, resolved.PrimaryMetric);
            logger.LogInformation("Run {RunId}: read {Rows} rows × {Columns} columns ({TableMb:F0} MB as a table) in {Read:F1} s, checked, cleaned and split in {Checked:F1} s, stored in {Stored:F1} s", run.RunId, rowsRead, table.Columns.Count, table.Bytes / 1048576.0, readIn.TotalSeconds, (checkedAt - readIn).TotalSeconds, (watch.Elapsed - checkedAt).TotalSeconds);
            var summary = new DataSummary(rowsRead, cleaning.DuplicatesRemoved, cleaning.MissingRowsRemoved, schema.Rows, report.Anomalies.Count);
            return new ValidationOutcome(true, schema.Task, schema.Label.Name, resolved.PrimaryMetric, spec.EffectiveSeed, dataSha, summary, report.Anomalies);
        }
        catch (DataValidationException ex)
        {
            logger.LogInformation("Run {RunId} rejected: {Code} {Message}", run.RunId, ex.Code, ex.Message);
            return Rejected(Anomaly.From(ex));
        }

        static ValidationOutcome Rejected(params IReadOnlyList<Anomaly> anomalies) => new(false, null, null, null, 0, null, null, anomalies);
    }

    /// <summary>
    /// Reads the upload into a table in one pass over the blob stream (Parquet, which is read by seeking, in a second
    /// pass), with the SHA-256 of its bytes; null when the blob was replaced or deleted before or while it was read.
    /// </summary>
    /// <exception cref="DataValidationException">The file is not of a format the name says, or is damaged.</exception>
    private async Task<(ColumnTable Table, string Sha256)?> ReadAsync(RunContext run, ProblemSpec spec, long length)
    {
        var budget = new MemoryBudget(options.Value.MemoryBudgetMb);
        var format = TableReader.FormatOf(run.Dataset) ?? throw new DataValidationException(
            AnomalyCodes.UnsupportedFormat, null, $"'{run.Dataset}' is not a dataset: uploads to '{ArtifactStore.Datasets}/{{model}}/' must be {string.Join(", ", TableReader.Extensions)} files.");
        try
        {
            await using var blob = await store.TryOpenReadAsync(ArtifactStore.Datasets, run.Dataset, run.ETag);
            if (blob is null)
            {
                return null;
            }

            using var sha = SHA256.Create();
            if (format == TableFormat.Parquet)
            {
                await using (var pass = await store.TryOpenReadAsync(ArtifactStore.Datasets, run.Dataset, run.ETag))
                {
                    if (pass is null)
                    {
                        return null;
                    }

                    await sha.ComputeHashAsync(pass);
                }

                return (await TableReader.ReadAsync(blob, format, TextColumns(spec), budget), Convert.ToHexStringLower(sha.Hash!));
            }

            using var hashing = new CryptoStream(blob, sha, CryptoStreamMode.Read, leaveOpen: true);
            var table = await TableReader.ReadAsync(hashing, format, TextColumns(spec), budget, length);
            hashing.CopyTo(Stream.Null);
            return (table, Convert.ToHexStringLower(sha.Hash!));
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>
    /// The candidate trainers the memory budget holds on this table: by default every trainer that fits (the others
    /// left out with a warning); named ones must all fit (else the refusal that names the one that does not).
    /// </summary>
    private (IReadOnlyList<string> Trainers, Anomaly? LeftOut, Anomaly? Refused) Candidates(ProblemSpec spec, ColumnTable table)
    {
        var budget = new MemoryBudget(options.Value.MemoryBudgetMb);
        var named = spec.EffectiveValidation.Trainers;
        var candidates = named ?? Trainers.All;
        var unfit = candidates.Where(t => !budget.Fits(table.RowCount, table.Columns.Count, trainings: 1, t)).ToList();
        if (unfit.Count == 0)
        {
            return (candidates, null, null);
        }

        string Need(string trainer) => string.Create(CultureInfo.InvariantCulture, $"{trainer} about {MemoryBudget.PeakMb(table.RowCount, table.Columns.Count, 1, trainer):N0} MB");
        var shape = string.Create(CultureInfo.InvariantCulture, $"{table.RowCount:N0} rows × {table.Columns.Count} columns, more than the memory budget of {budget.Megabytes:N0} MB (MlLifecycle:MemoryBudgetMb)");
        return named is not null
            ? (candidates, null, Anomaly.Error(AnomalyCodes.InvalidSpec, "validation.trainers", $"validation.trainers names {unfit[0]}, which needs {Need(unfit[0])[(unfit[0].Length + 1)..]} to train on every one of {shape}. Leave it out, or give the run more memory."))
            : ([.. candidates.Except(unfit)], Anomaly.Warning(AnomalyCodes.OverMemoryBudget, "validation.trainers", $"Left out of the candidates: training on every one of {shape} needs {string.Join(", ", unfit.Select(Need))}."), null);
    }

    /// <summary>Columns the spec declares as anything but numbers or ignored: their cells are kept as written.</summary>
    private static HashSet<string> TextColumns(ProblemSpec spec) =>
        [.. (spec.Columns ?? []).Where(c => c.Value is ColumnRole.Categorical or ColumnRole.Text or ColumnRole.Boolean or ColumnRole.DateTime).Select(c => c.Key)];

    /// <summary>The spec of a run: the request's, else <c>datasets/{model}/lifecycle.json</c>, else defaults; the blob's <c>label</c> metadata fills a missing label.</summary>
    private async Task<ProblemSpec> ResolveSpecAsync(RunContext run, IDictionary<string, string> metadata)
    {
        var spec = run.Spec is { } requested ? SpecReader.Validate(requested)
            : await store.TryReadAsync(ArtifactStore.Datasets, $"{run.Model}/{LifecycleInfo.SpecFileName}") is { } json ? SpecReader.Parse(json.ToString())
            : new ProblemSpec();
        return spec.Label is null && metadata.TryGetValue("label", out var label) ? spec with { Label = label } : spec;
    }

    /// <summary>Anomalies of the new data against the champion's schema, as warnings: a retrain may change the data on purpose.</summary>
    private async Task<IEnumerable<Anomaly>> CompareWithChampionAsync(string model, ColumnTable data)
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
