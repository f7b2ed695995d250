using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using MlLifecycle.Api;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Cli;

/// <summary>The verbs of the CLI contract (DESIGN.md §4). Progress goes to stderr; results to stdout.</summary>
internal static class Commands
{
    public static async Task<int> TrainAsync(FileInfo csv, string? label, string? model, FileInfo? specFile, bool json, bool verbose, CancellationToken ct)
    {
        RequireFile(csv);
        model ??= ModelName.FromFileName(csv.Name);
        if (!ModelName.IsValid(model))
        {
            throw new CliException($"Model name '{model}' is invalid: {ModelName.Describe}.");
        }

        string? spec = null;
        if (specFile is not null)
        {
            spec = specFile.Exists ? await File.ReadAllTextAsync(specFile.FullName, ct) : throw new CliException($"Spec file '{specFile.FullName}' does not exist.");
            try
            {
                SpecReader.Parse(spec);
            }
            catch (SpecException ex)
            {
                throw new CliException(ex.Message);
            }
        }

        using var loggers = CliContext.CreateLoggerFactory(verbose);
        // A live `serve` runs the work and this command is its client; otherwise it runs a worker itself.
        await using var platform = await LocalPlatform.StartAsync(CliContext.Platform(httpPort: null, watchBlobs: false, hostWorker: null), loggers, ct);
        if (spec is not null)
        {
            // The spec lives next to the uploads, so later uploads (and retraining) use it too.
            await platform.Services.GetRequiredService<ArtifactStore>().WriteAsync(ArtifactStore.Datasets, $"{model}/{Workflows.LifecycleInfo.SpecFileName}", BinaryData.FromString(spec), ct: ct);
            Console.Error.WriteLine($"spec {specFile!.Name} → {ArtifactStore.Datasets}/{model}/{Workflows.LifecycleInfo.SpecFileName}");
        }

        var run = await UploadAndWaitAsync(platform, csv, model, label, ct);
        if (json)
        {
            Console.WriteLine(LifecycleJson.Serialize(
                new { run.RunId, run.Model, run.Version, run.Status, run.Task, run.PrimaryMetric, run.Metrics, run.Criteria, run.Gate, run.Selection, run.Champion, run.Data, durationMs = (long)(run.LastUpdatedAt - run.CreatedAt).TotalMilliseconds, run.Message, run.Anomalies },
                compact: true));
        }
        else
        {
            await PrintQualityAsync(platform, run, ct);
            PrintRun(run, Console.Out);
        }

        return ExitCode(run, Console.Error);
    }

    /// <summary>
    /// Trains a version again from its recorded data, spec and seed and compares: exit 0 when the model bytes and test
    /// metrics are exactly the same, 1 (and each difference) otherwise.
    /// </summary>
    public static async Task<int> ReproduceAsync(string model, int version, bool json, bool verbose, CancellationToken ct)
    {
        using var loggers = CliContext.CreateLoggerFactory(verbose);
        await using var platform = await LocalPlatform.StartAsync(CliContext.Platform(httpPort: null, watchBlobs: false, hostWorker: null), loggers, ct);
        string runId;
        try
        {
            runId = await platform.Services.GetRequiredService<TrainingStarter>().StartReproductionAsync(
                platform.Client, platform.Services.GetRequiredService<ArtifactStore>(), platform.Services.GetRequiredService<ModelRegistry>(), model, version, ct);
        }
        catch (ReproductionRefusedException ex)
        {
            throw new CliException(ex.Message);
        }

        Console.Error.WriteLine($"reproducing {model} v{version} (run {runId})");
        var run = await WaitAsync(platform, runId, ct);
        if (json)
        {
            Console.WriteLine(LifecycleJson.Serialize(new { run.RunId, run.Model, version, run.Status, run.Reproduction, run.Metrics, run.Message }, compact: true));
        }
        else
        {
            PrintRun(run, Console.Out);
        }

        return run is { Reproduction.Reproduced: true } ? 0 : ExitCode(run with { Status = Workflows.RunStatus.Failed }, Console.Error);
    }

    /// <summary>Prints the HTTP API's keys (made first if there are none): <c>{"function", "admin"}</c> with <c>--json</c>.</summary>
    public static int Keys(bool json)
    {
        var path = KeyFile.DefaultPath();
        var (keys, _) = KeyFile.LoadOrCreate(path);
        Console.Error.WriteLine($"keys in {path}; {KeyFile.HowToSend}");
        Console.WriteLine(json
            ? LifecycleJson.Serialize(new { function = keys.Function, admin = keys.Admin }, compact: true)
            : KeyFile.Describe(keys));
        return 0;
    }

    /// <summary>
    /// 0 for a run that succeeded; otherwise 1 and one error line. A rejection's reasons are its anomalies (listed by
    /// <see cref="PrintRun"/>, and in the JSON), so the line names only their codes.
    /// </summary>
    public static int ExitCode(RunView run, TextWriter error) =>
        run.Status == Workflows.RunStatus.Succeeded ? 0
        : Fail(error, run.Status == Workflows.RunStatus.Rejected && run.Anomalies?.Where(a => a.Severity == Severity.Error).Select(a => a.Code).Distinct().ToList() is { Count: > 0 } codes
            ? $"run {run.RunId} rejected the data ({string.Join(", ", codes)})"
            : run.Message ?? run.Status);

    /// <summary>Uploads a dataset file to <c>datasets/{model}/</c> (the blob trigger's path) under its own name and follows the run it starts.</summary>
    public static async Task<RunView> UploadAndWaitAsync(LocalPlatform platform, FileInfo csv, string model, string? label, CancellationToken ct)
    {
        RequireFile(csv);
        var store = platform.Services.GetRequiredService<ArtifactStore>();
        var blobName = TableReader.FormatOf(csv.Name) is not null
            ? $"{model}/{csv.Name}"
            : throw new CliException($"'{csv.Name}' is not a dataset file: train takes a {string.Join(", ", TableReader.Extensions)} file.");
        var options = new BlobUploadOptions { Metadata = label is null ? null : new Dictionary<string, string> { ["label"] = label } };
        await using var stream = csv.OpenRead();
        var uploaded = await store.Blob(ArtifactStore.Datasets, blobName).UploadAsync(stream, options, ct);
        Console.Error.WriteLine($"uploaded {csv.Name} to {ArtifactStore.Datasets}/{blobName}");
        var runId = await platform.Services.GetRequiredService<TrainingStarter>().StartForBlobAsync(platform.Client, blobName, uploaded.Value.ETag.ToString(), ct)
            ?? throw new CliException($"'{blobName}' is not a dataset path.");
        return await WaitAsync(platform, runId, ct);
    }

    /// <summary>
    /// Follows a run until it ends: live bars when stderr is a terminal (<see cref="RunDisplay"/>), else a line per change.
    /// A client whose host goes away starts a worker itself, so the run never waits for nobody.
    /// </summary>
    public static Task<RunView> WaitAsync(LocalPlatform platform, string runId, CancellationToken ct)
    {
        Task<RunView> Follow(Action<RunView>? show) => Cli.Follow.UntilFinishedAsync(
            platform,
            $"run {runId}",
            async () => await RunView.GetAsync(platform.Client, runId, ct) ?? throw new CliException($"Run '{runId}' does not exist."),
            Line,
            view => view.IsFinished,
            ct,
            show);
        return RunDisplay.Live ? RunDisplay.FollowAsync(RunDisplay.Stderr(), runId, show => Follow(show)) : Follow(null);
    }

    /// <summary>A run's state as one line: <c>[step/steps] stage</c>, or its status before it has a stage.</summary>
    public static string Line(RunView view) => view.Stage is null ? view.Status : $"[{view.Step}/{view.Steps}] {view.Stage}";

    public static async Task<int> ApproveAsync(string runId, bool approved, string? reason, bool json, bool verbose, CancellationToken ct)
    {
        using var loggers = CliContext.CreateLoggerFactory(verbose);
        await using var platform = await LocalPlatform.StartAsync(CliContext.Platform(httpPort: null, watchBlobs: false, hostWorker: false), loggers, ct);
        var decision = new ApprovalDecision(approved, $"cli:{Environment.UserName}", reason);
        if (await RunApproval.SendAsync(platform.Client, runId, decision, ct) is { } refusal)
        {
            throw new CliException(refusal);
        }

        Console.Error.WriteLine($"run {runId}: {(approved ? "approved" : "rejected")}; the run goes on with whichever host serves the task hub");
        return Emit(json, new { runId, approved, by = decision.By, reason });
    }

    public static async Task<int> StatusAsync(string runId, bool json, bool verbose, CancellationToken ct)
    {
        using var loggers = CliContext.CreateLoggerFactory(verbose);
        var (services, azurite, storage) = await CliContext.StartStorageAsync(loggers, ct);
        await using var _ = azurite;
        await using var __ = services;
        await using var engine = new DurableEngine(storage, loggers); // a client only: reading a run creates nothing
        var view = await RunView.GetAsync(engine.Client, runId, ct) ?? throw new CliException($"Run '{runId}' does not exist.");
        var registry = services.GetRequiredService<ModelRegistry>();
        view = view with { Folds = await registry.ListTrialsAsync(runId, ct), Trials = await registry.ListTuningTrialsAsync(runId, ct) };
        if (json)
        {
            Console.WriteLine(LifecycleJson.Serialize(view, compact: true));
        }
        else
        {
            Console.WriteLine($"run {view.RunId}: {view.Status}" + (view.Stage is null ? "" : $" — [{view.Step}/{view.Steps}] {view.Stage}"));
            PrintRun(view, Console.Out);
            foreach (var trial in view.Trials ?? [])
            {
                Console.WriteLine($"  trial {trial.Id,3} {trial.Trainer} resource {trial.Resource,5} score {trial.Score?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a",8} {trial.Seconds,6:F1}s  {string.Join(' ', trial.Options.Select(o => $"{o.Key}={o.Value.ToString("G4", CultureInfo.InvariantCulture)}"))}");
            }
        }

        return 0;
    }

    public static async Task<int> PredictAsync(string model, FileInfo input, FileInfo? output, string? alias, int? version, bool json, bool verbose, CancellationToken ct)
    {
        RequireFile(input);
        if (BatchPredict.IsLarge(input))
        {
            return await BatchPredict.RunAsync(model, input, output, alias, version, json, verbose, ct);
        }

        using var loggers = CliContext.CreateLoggerFactory(verbose);
        var (services, azurite, _) = await CliContext.StartStorageAsync(loggers, ct);
        await using var _ = azurite;
        await using var __ = services;
        var server = services.GetRequiredService<ModelServer>();
        var served = (await server.RouteAsync(model, alias, version, ct) ?? throw new CliException(await server.DescribeMissingAsync(model, alias, version, ct))).Served;

        TabularData table;
        List<string?[]> rows;
        try
        {
            if (input.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
            {
                using var document = JsonDocument.Parse(await File.ReadAllTextAsync(input.FullName, ct));
                rows = PredictionInput.FromJson(document.RootElement, served.Schema, served.Required, int.MaxValue);
                table = new TabularData(served.Schema.Features.Select(f => f.Name).ToList(), rows);
            }
            else
            {
                await using var stream = input.OpenRead();
                table = CsvLoader.Read(stream);
                rows = PredictionInput.FromTable(table, served.Schema, served.Required);
            }
        }
        catch (Exception ex) when (ex is InvalidInputException or DataValidationException or JsonException)
        {
            throw new CliException(ex.Message);
        }

        foreach (var anomaly in SchemaValidator.Validate(table, served.Schema, requireLabel: false))
        {
            Console.Error.WriteLine($"{anomaly.Severity.ToString().ToLowerInvariant()} {anomaly.Code} [{anomaly.Column}]: {anomaly.Message}");
        }

        var predictions = served.Predictor.Predict(rows);
        var writer = output is null ? Console.Out : new StreamWriter(output.FullName);
        try
        {
            PredictionCsv.Write(writer, table, predictions, served.Schema);
        }
        finally
        {
            if (output is not null)
            {
                await writer.DisposeAsync();
            }
        }

        Console.Error.WriteLine($"predicted {predictions.Count} rows with {model} v{served.Version}" + (output is null ? "" : $" → {output.FullName}"));
        if (json)
        {
            Console.WriteLine(LifecycleJson.Serialize(new { model, version = served.Version, rows = predictions.Count, output = output?.FullName }, compact: true));
        }

        return 0;
    }

    public static async Task<int> ModelsAsync(string action, string? model, int? version, string alias, string? reason, string? split, int? shadow, bool json, bool verbose, CancellationToken ct)
    {
        using var loggers = CliContext.CreateLoggerFactory(verbose);
        var (services, azurite, _) = await CliContext.StartStorageAsync(loggers, ct);
        await using var _ = azurite;
        await using var __ = services;
        var registry = services.GetRequiredService<ModelRegistry>();
        var deployments = services.GetRequiredService<Deployments>();
        var actor = new Actor($"cli:{Environment.UserName}", reason);
        switch (action)
        {
            case "list":
                var models = new List<object>();
                foreach (var name in await registry.ListModelsAsync(ct))
                {
                    var versions = await registry.ListVersionsAsync(name, ct);
                    var aliases = await registry.GetAliasesAsync(name, ct);
                    models.Add(new { model = name, aliases, latestVersion = versions.Max(v => v.Version), versions = versions.Count });
                    if (!json)
                    {
                        Console.WriteLine($"{name,-30} versions={versions.Count,-4} latest=v{versions.Max(v => v.Version),-4} {string.Join(' ', aliases.Select(a => $"{a.Key}=v{a.Value}"))}");
                    }
                }

                if (json)
                {
                    Console.WriteLine(LifecycleJson.Serialize(new { models }, compact: true));
                }

                return 0;
            case "show":
                var shown = await registry.ListVersionsAsync(Require(model), ct);
                if (shown.Count == 0)
                {
                    throw new CliException(ModelServer.NoSuchModel(model!));
                }

                var shownAliases = await registry.GetAliasesAsync(model!, ct);
                if (json)
                {
                    Console.WriteLine(LifecycleJson.Serialize(new { model, aliases = shownAliases, versions = shown }, compact: true));
                    return 0;
                }

                Console.WriteLine($"{model}  {string.Join(' ', shownAliases.Select(a => $"{a.Key}=v{a.Value}"))}");
                foreach (var v in shown)
                {
                    var role = string.Join(',', shownAliases.Where(a => a.Value == v.Version).Select(a => a.Key).DefaultIfEmpty(v.Gate?.Passed == false ? "candidate (gate failed)" : "-"));
                    Console.WriteLine($"  v{v.Version,-4} {v.CreatedAt:u} {v.Task,-26} {v.Trainer,-10} {role,-24} {FormatMetrics(v.Metrics)}");
                }

                return 0;
            case "promote":
                var target = version ?? throw new CliException("promote needs a version: models promote <model> <version>.");
                var moved = await Deploy(() => deployments.MoveAliasAsync(Require(model), alias, target, null, actor, ct));
                Console.Error.WriteLine($"{model}: {alias} → v{moved.Version}" + (moved.Previous is { } was ? $" (was v{was})" : ""));
                return Emit(json, new { model, alias, version = moved.Version, previous = moved.Previous });
            case "rollback":
                var (restored, from) = await Deploy(() => deployments.RollbackAsync(Require(model), alias, actor, ct));
                Console.Error.WriteLine($"{model}: {alias} rolled back from v{from} to v{restored}");
                return Emit(json, new { model, alias, version = restored, rolledBackFrom = from });
            case "traffic":
                var traffic = split is null && shadow is null
                    ? await registry.GetTrafficAsync(Require(model), ct)
                    : await Deploy(() => deployments.SetTrafficAsync(Require(model), ParseSplit(split), shadow is 0 ? null : shadow, actor, ct));
                Console.Error.WriteLine(traffic is null
                    ? $"{model}: no traffic split; requests go to the champion"
                    : $"{model}: {string.Join(' ', traffic.Weights.Select(w => $"{w.Key}={w.Value}"))}{(traffic.Shadow is { } s ? $" shadow=v{s}" : "")}");
                return Emit(json, new { model, weights = traffic?.Weights ?? new Dictionary<string, int>(), shadow = traffic?.Shadow });
            case "history":
                var changes = await registry.ListHistoryAsync(Require(model), ct: ct);
                foreach (var c in json ? [] : changes)
                {
                    Console.WriteLine($"{c.At:u} {c.Action,-9} {c.Alias ?? "",-12} {(c.From is { } f ? $"v{f}" : ""),5} → {(c.To is { } t ? $"v{t}" : c.Detail),-6} by {c.By}{(c.Reason is null ? "" : $": {c.Reason}")}");
                }

                return json ? Emit(json, new { model, changes }) : 0;
            case "approve" or "archive":
                var stage = action == "approve" ? VersionStages.Approved : VersionStages.Archived;
                var staged = version ?? throw new CliException($"{action} needs a version: models {action} <model> <version>.");
                await Deploy(() => deployments.SetStageAsync(Require(model), staged, stage, actor, ct));
                Console.Error.WriteLine($"{model}: v{staged} is {stage}");
                return Emit(json, new { model, version = staged, stage });
            default:
                throw new CliException($"Unknown action '{action}': use list, show, promote or rollback.");
        }
    }

    /// <summary>A deployment change; its refusal becomes the CLI's one-line error.</summary>
    private static async Task<T> Deploy<T>(Func<Task<T>> change)
    {
        try
        {
            return await change();
        }
        catch (Exception ex) when (ex is DeploymentException or ModelIntegrityException)
        {
            throw new CliException(ex.Message);
        }
    }

    private static Task<bool> Deploy(Func<Task> change) => Deploy(async () =>
    {
        await change();
        return true;
    });

    /// <summary><c>champion=90,challenger=10</c> → weights.</summary>
    private static Dictionary<string, int> ParseSplit(string? split)
    {
        Dictionary<string, int> weights = new(StringComparer.Ordinal);
        foreach (var part in (split ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2 || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var weight))
            {
                throw new CliException($"--split takes alias=weight pairs such as champion=90,challenger=10; got '{part}'.");
            }

            weights[pair[0]] = weight;
        }

        return weights;
    }

    public static int Fail(string message) => Fail(Console.Error, message);

    public static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"error: {message}");
        return 1;
    }

    public static void PrintRun(RunView run, TextWriter output)
    {
        output.WriteLine($"run {run.RunId}: {run.Status}" + (run.Version is { } v ? $" — {run.Model} v{v} ({run.Task}){(run.Champion == true ? ", champion" : "")}" : ""));
        if (run.Metrics is { Count: > 0 })
        {
            output.WriteLine($"  test metrics (primary: {run.PrimaryMetric}): {FormatMetrics(run.Metrics)}");
        }

        if (run.Selection is { } selection)
        {
            var metric = run.PrimaryMetric!;
            var sample = selection.SampleRows is { } rows ? string.Create(CultureInfo.InvariantCulture, $", a stratified sample of {rows:N0} rows") : "";
            output.WriteLine($"  cross-validation ({selection.Method}, {selection.Folds} folds{sample}, {metric}): " + string.Join("  ", selection.Trainers.Select(t =>
                t.Error is not null ? $"{t.Trainer} failed ({t.Error})"
                : t.Metrics.TryGetValue(metric, out var m) ? $"{t.Trainer} {m.Mean:F4} ± {m.Std:F4}{(t.Trainer == selection.Winner ? " (selected)" : "")}" : t.Trainer)));
        }

        if (run.Tuning is { } tuning)
        {
            output.WriteLine($"  tuning ({tuning.Strategy}): {tuning.Trials} trials, Σ resource {tuning.TotalResource}, best validation score {tuning.BestScore:F4} ({tuning.StopReason})");
        }

        if (run.Ensemble is { } ensemble)
        {
            output.WriteLine($"  ensemble selection: {(ensemble.Chosen ? "served" : "not used")}, {string.Join(" + ", ensemble.Members.Select(m => $"{m.Name} × {m.Weight.ToString("G3", CultureInfo.InvariantCulture)}"))} ({ensemble.Reason})");
        }

        if (run.Features is { } features)
        {
            output.WriteLine($"  features: {features.Inputs} model inputs, {features.Kept} kept by selection" + (features.Dropped.Count > 0 ? $"; dropped {string.Join(", ", features.Dropped)}" : "") + (features.SyntheticRows > 0 ? $"; {features.SyntheticRows} synthetic training rows" : ""));
        }

        if (run.Importance is { Count: > 0 } importance)
        {
            output.WriteLine($"  permutation importance ({run.PrimaryMetric} drop): " + string.Join("  ", importance.Take(5).Select(i => $"{i.Feature} {i.Drop:F4}")));
        }

        if (run.RefitRows is { } refit)
        {
            output.WriteLine($"  served model: the same configuration trained on all {refit} rows (metrics above are the evaluated model's, on the untouched test split)");
        }

        if (run.Gate is { } gate && run.Reproduction is null) // a reproduction registers nothing: no gate applies
        {
            output.WriteLine($"  champion gate: {(gate.Passed ? "passed" : "failed")} — {gate.Reason}");
        }

        foreach (var criterion in run.Criteria ?? [])
        {
            output.WriteLine($"  success criterion {criterion.Metric} {(PrimaryMetric.HigherIsBetter(criterion.Metric) ? ">=" : "<=")} {criterion.Threshold}: {(criterion.Passed ? "passed" : "FAILED")} ({criterion.Value?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"})");
        }

        if (run.Reproduction is { } reproduction)
        {
            output.WriteLine(reproduction.Reproduced
                ? $"  reproduces v{reproduction.Version} exactly: served model SHA-256 {reproduction.ModelSha256}, and every test metric"
                : $"  does NOT reproduce v{reproduction.Version}:");
            foreach (var difference in reproduction.Differences)
            {
                output.WriteLine($"    {difference}");
            }

            if (reproduction.CodeVersion != reproduction.CodeVersionNow)
            {
                output.WriteLine($"  v{reproduction.Version} was built by code {reproduction.CodeVersion}; this is {reproduction.CodeVersionNow}");
            }
        }

        if (run.Status != Workflows.RunStatus.Succeeded)
        {
            foreach (var anomaly in run.Anomalies ?? [])
            {
                output.WriteLine($"  {anomaly.Severity} {anomaly.Code}{(anomaly.Column is null ? "" : $" [{anomaly.Column}]")}: {anomaly.Message}{(anomaly.Rows is { Count: > 0 } rows ? $" (rows {string.Join(", ", rows)})" : "")}");
            }
        }
    }

    /// <summary>Prints the data-quality report of a finished run (from <c>quality.json</c> in its folder).</summary>
    public static async Task PrintQualityAsync(LocalPlatform platform, RunView run, CancellationToken ct)
    {
        var json = await platform.Services.GetRequiredService<ArtifactStore>().TryReadAsync(ArtifactStore.Artifacts, $"{run.Model}/runs/{run.RunId}/quality.json", ct);
        if (json is null)
        {
            return;
        }

        var report = LifecycleJson.Deserialize<QualityReport>(json.ToString());
        Console.WriteLine($"data quality: {report.Rows} rows read, {report.RowsWithoutLabel} without label, {report.DuplicateRows} duplicates and {report.RowsDroppedForMissing} rows with missing values removed → {report.RowsAfterCleaning} rows");
        var missing = report.ColumnStats.Where(c => c.Missing > 0).OrderByDescending(c => c.Missing).Take(6).ToList();
        Console.WriteLine("  missing: " + (missing.Count == 0 ? "none" : string.Join(", ", missing.Select(c => $"{c.Name} {c.MissingFraction:P1}"))));
        var outliers = report.ColumnStats.Where(c => c.Outliers is { Iqr: > 0 }).OrderByDescending(c => c.Outliers!.Iqr).Take(6).ToList();
        Console.WriteLine("  outliers (IQR / z / MAD): " + (outliers.Count == 0 ? "none" : string.Join(", ", outliers.Select(c => $"{c.Name} {c.Outliers!.Iqr}/{c.Outliers.ZScore}/{c.Outliers.Mad}"))));
        if (report.ClassCounts is { } classes)
        {
            Console.WriteLine($"  classes: {string.Join(", ", classes.Select(c => $"{c.Key} {c.Value}"))} (imbalance ratio {report.ImbalanceRatio:F2})");
        }

        var ignored = report.ColumnStats.Where(c => c.Ignored is not null).ToList();
        Console.WriteLine("  not used as features: " + (ignored.Count == 0 ? "none" : string.Join(", ", ignored.Select(c => $"{c.Name} ({c.Ignored})"))));
        Console.WriteLine("  leakage suspects: " + (report.LeakageSuspects.Count == 0 ? "none" : string.Join(", ", report.LeakageSuspects.Select(l => $"{l.Column} ({l.Measure} {l.Score:F3})"))));
        foreach (var warning in report.Anomalies.Where(a => a.Code is not (AnomalyCodes.ColumnIgnored or AnomalyCodes.LeakageSuspect)))
        {
            Console.WriteLine($"  {warning.Severity.ToString().ToLowerInvariant()} {warning.Code}{(warning.Column is null ? "" : $" [{warning.Column}]")}: {warning.Message}");
        }
    }

    public static string FormatMetrics(IReadOnlyDictionary<string, double> metrics) =>
        string.Join("  ", metrics.Select(m => $"{m.Key}={m.Value.ToString("F4", CultureInfo.InvariantCulture)}"));

    /// <summary>
    /// <c>drift</c>: checks the champion against its baseline, on a local CSV (uploaded to <c>monitoring/{model}/</c>
    /// first) or on the prediction log's last hours. Needs no engine: the check runs in this process.
    /// </summary>
    public static async Task<int> DriftAsync(string model, FileInfo? data, double? hours, bool json, bool verbose, CancellationToken ct)
    {
        if (data is not null)
        {
            RequireFile(data);
        }

        if (hours is <= 0)
        {
            throw new CliException("--hours must be more than 0.");
        }

        using var loggers = CliContext.CreateLoggerFactory(verbose);
        var (services, azurite, _) = await CliContext.StartStorageAsync(loggers, ct);
        await using var _ = azurite;
        await using var __ = services;
        var drift = services.GetRequiredService<DriftApi>();
        DriftCheckRequest check;
        if (data is not null)
        {
            var blob = $"{model}/{data.Name}";
            await using (var stream = data.OpenRead())
            {
                await services.GetRequiredService<ArtifactStore>().Blob(ArtifactStore.Monitoring, blob).UploadAsync(stream, overwrite: true, ct);
            }

            check = drift.OfData(model, $"{ArtifactStore.Monitoring}/{blob}");
        }
        else
        {
            check = drift.LastHours(model, hours ?? DriftApi.DefaultHours);
        }

        DriftReport report;
        try
        {
            report = await services.GetRequiredService<DriftMonitor>().CheckAsync(check, ct);
        }
        catch (DriftCheckException ex)
        {
            throw new CliException(ex.Message);
        }

        Workflows.Activities.CheckDrift.Alert(report, services.GetRequiredService<RegistryEvents>());
        PrintDrift(report, json ? Console.Error : Console.Out);
        return Emit(json, report);
    }

    private static void PrintDrift(DriftReport report, TextWriter output)
    {
        var source = report.Window is { } w ? $"prediction log {w.From:u} – {w.To:u}" : report.Data;
        if (report.Rows == 0)
        {
            output.WriteLine($"{report.Model} v{report.Version}: nothing to check, no request was logged from {source} (serve logs Serving:LogSampleRate of requests, 10 % by default; or check a CSV with --data)");
            output.WriteLine($"  report: {report.Report}");
            return;
        }

        output.WriteLine($"{report.Model} v{report.Version}, {report.Rows} rows from {source}: {(report.Drifted ? "DRIFTED" : "no dataset drift")} ({report.Features.Count(f => f.Drifted)} of {report.Features.Count(f => f.Test != "none")} tested features drifted, share threshold {report.ShareThreshold:0.##})");
        foreach (var f in report.Features)
        {
            var statistic = f.Statistic is { } x ? x.ToString("G4", CultureInfo.InvariantCulture) : "-";
            var p = f.PValue is { } pv ? pv.ToString("G3", CultureInfo.InvariantCulture) : "-";
            output.WriteLine($"  {(f.Drifted ? "DRIFT" : "     ")} {f.Feature,-28} {f.Test,-4} stat {statistic,-10} p {p,-10} psi {f.Psi?.ToString("F3", CultureInfo.InvariantCulture) ?? "-",-6}{(f.Note is null ? "" : $" ({f.Note})")}");
        }

        if (report.Prediction is { } prediction)
        {
            output.WriteLine($"  predictions: {(prediction.Drifted ? "DRIFTED" : "stable")} ({prediction.Test} stat {prediction.Statistic?.ToString("G4", CultureInfo.InvariantCulture) ?? "-"}, p {prediction.PValue?.ToString("G3", CultureInfo.InvariantCulture) ?? "-"})");
        }

        var concept = report.Concept;
        output.WriteLine(concept.State == DriftMonitor.AwaitingLabels
            ? $"  concept: awaiting labels ({concept.Labelled} of {concept.MinLabels})"
            : $"  concept: {concept.State} ({concept.Metric} {concept.Current:F4} on {concept.Labelled} labelled rows vs {concept.Baseline:F4} at training)");
        output.WriteLine($"  report: {report.Report}");
    }

    private static void RequireFile(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException($"File '{file.FullName}' does not exist.");
        }
    }

    private static string Require(string? model) => model ?? throw new CliException("This action needs a model name.");

    private static int Emit(bool json, object value)
    {
        if (json)
        {
            Console.WriteLine(LifecycleJson.Serialize(value, compact: true));
        }

        return 0;
    }
}

/// <summary>An error the CLI reports as one line on stderr with exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
