using System.Globalization;
using System.Text.Json;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Tuning;

/// <summary>
/// Tuning strategies on a real objective: LightGBM (6-dimensional default space, resource = boosting rounds) trained
/// on a seeded training split of a public dataset and scored (AUC) on its validation split, one thread per trial.
/// </summary>
internal sealed class TuningBench
{
    private const double MaxResource = 243;
    private readonly DatasetSchema _schema;
    private readonly List<string?[]> _train, _validation;
    private readonly List<string> _trainLabels, _validationLabels;
    private readonly SearchSpace _space = SearchSpace.Default(Trainers.LightGbm);

    private readonly string _csv, _label;

    public TuningBench(string csv, string label)
    {
        (_csv, _label) = (csv, label);
        using var stream = File.OpenRead(csv);
        var table = TableReader.ReadCsv(stream);
        _schema = SchemaInference.Infer(table, label);
        var (rows, labels) = FeatureRows.Cells(table, _schema);
        var split = DataSplit.Holdout(_schema.Rows, 42, strata: labels);
        (_train, _trainLabels) = (split.Train.Select(i => rows[i]).ToList(), split.Train.Select(i => labels[i]).ToList());
        (_validation, _validationLabels) = (split.Validation.Select(i => rows[i]).ToList(), split.Validation.Select(i => labels[i]).ToList());
    }

    /// <summary>Validation AUC of one configuration.</summary>
    public double Objective(IReadOnlyDictionary<string, double> parameters, double resource)
    {
        var options = new Dictionary<string, double>(parameters) { [_space.ResourceParameter!] = resource };
        var model = TrainedModel.Train(_schema, _train, _trainLabels, 42, threads: 1, hyperparameters: options);
        var predictions = model.Predict(_validation);
        return MlLifecycle.Core.Evaluation.Metrics.Auc(_validationLabels.Select(l => l == _schema.PositiveClass).ToList(), predictions.Select(p => p.Probabilities![_schema.PositiveClass!]).ToList());
    }

    private List<(TrialOutcome Outcome, double CumulativeResource)> Run(ITuner tuner, int maxTrials)
    {
        List<TrialOutcome> history = [];
        List<(TrialOutcome, double)> trace = [];
        var used = 0.0;
        while (history.Count < maxTrials && tuner.NextWave(history, 2) is { Count: > 0 } wave)
        {
            foreach (var trial in wave.Take(maxTrials - history.Count))
            {
                var outcome = new TrialOutcome(trial, Objective(trial.Parameters, trial.Resource));
                history.Add(outcome);
                used += trial.Resource;
                trace.Add((outcome, used));
            }
        }

        return trace;
    }

    public int Report(int seeds, bool withOptuna)
    {
        // Random search: 60 full-resource trials per seed; its median best score is the target.
        var random = Enumerable.Range(0, seeds).Select(s => Run(new RandomSearch(_space, s, MaxResource), 60)).ToList();
        var bests = random.Select(r => r.Max(t => t.Outcome.Score)).Order().ToList();
        var target = bests[bests.Count / 2];
        var randomTrials = random.Select(r => TrialsToReach(r, target)).ToList();
        var randomResource = random.Select(r => ResourceToReach(r, target)).ToList();
        Console.WriteLine($"objective: validation AUC of LightGBM on {_train.Count} training rows; space: {string.Join(", ", _space.Searched.Select(p => p.Name))}; resource numberOfIterations ≤ {MaxResource}");
        Console.WriteLine($"random search, 60 trials × {seeds} seeds: best AUC per seed {string.Join(", ", bests.Select(b => b.ToString("F4", CultureInfo.InvariantCulture)))} → target (median) {target:F4}");
        Console.WriteLine($"  trials to reach the target: {Describe(randomTrials)}; Σ resource of the full search {60 * MaxResource}");

        var tpe = Enumerable.Range(0, seeds).Select(s => TrialsToReach(Run(new TpeSearch(_space, s, MaxResource), 60), target)).ToList();
        Console.WriteLine($"our TPE: trials to reach the target: {Describe(tpe)} → median ratio to random's 60: {Median(tpe) / 60:F2} (target ≤ 0.5)");

        var hyperband = Enumerable.Range(0, seeds).Select(s => ResourceToReach(Run(new Hyperband(_space, s, MaxResource, 3, MaxResource / 27), int.MaxValue), target)).ToList();
        Console.WriteLine($"Hyperband (R = {MaxResource}, η = 3, 4 brackets): Σ resource to reach the target: {Describe(hyperband)} → median share of random's {60 * MaxResource}: {Median(hyperband) / (60 * MaxResource):F2} (target ≤ 0.33)");
        Console.WriteLine($"exact target for optuna_tpe.py: {target.ToString("R", CultureInfo.InvariantCulture)}");
        var optuna = withOptuna ? RunOptuna(target, seeds) : null;
        List<MlLifecycle.Bench.BenchFigure> figures =
        [
            new($"our TPE: trials to reach random search's median best AUC ({target:F4})", Median(tpe), "trials", "random search's budget", 60, "lower"),
            new("Hyperband: resource to reach the same target", Median(hyperband), "boosting rounds", "random search's 60 full trials", 60 * MaxResource, "lower"),
        ];
        if (optuna is { } o)
        {
            figures.Add(new("our TPE: trials to reach the target", Median(tpe), "trials", $"Optuna TPE {o.Version}", o.Median, "lower"));
        }

        return new MlLifecycle.Bench.BenchResult("tuning", Environment.GetEnvironmentVariable("BENCH_QUICK") == "1", figures, [])
        {
            Data = new { seeds, target, random = randomTrials, tpe, hyperband, optuna },
        }.Write();
    }

    private sealed record OptunaResult(string Version, List<int?> Needed, double Median);

    /// <summary>Optuna's TPE on the same objective (<c>optuna_tpe.py</c> calls this harness's <c>serve</c> mode): trials to reach the target; a run that never reaches it counts as infinity.</summary>
    private OptunaResult RunOptuna(double target, int seeds)
    {
        var output = Path.GetTempFileName();
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", [Path.Combine("bench", "optuna_tpe.py"), _csv, _label, target.ToString("R", CultureInfo.InvariantCulture), $"{seeds}", output]))
            ?? throw new InvalidOperationException("python3 did not start");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"optuna_tpe.py exited with {process.ExitCode} (apt-get install -y python3-optuna)");
        }

        using var json = JsonDocument.Parse(File.ReadAllText(output));
        File.Delete(output);
        var needed = json.RootElement.GetProperty("needed").EnumerateArray().Select(n => n.ValueKind == JsonValueKind.Number ? n.GetInt32() : (int?)null).ToList();
        return new OptunaResult(json.RootElement.GetProperty("optuna").GetString()!, needed, Median([.. needed.Select(n => n is { } v ? (double)v : double.PositiveInfinity)]));
    }

    private static double TrialsToReach(List<(TrialOutcome Outcome, double CumulativeResource)> trace, double target)
    {
        var index = trace.FindIndex(t => t.Outcome.Score >= target - 1e-12);
        return index < 0 ? double.PositiveInfinity : index + 1;
    }

    private static double ResourceToReach(List<(TrialOutcome Outcome, double CumulativeResource)> trace, double target)
    {
        var index = trace.FindIndex(t => t.Outcome.Score >= target - 1e-12);
        return index < 0 ? double.PositiveInfinity : trace[index].CumulativeResource;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Describe(List<double> values) =>
        $"[{string.Join(", ", values.Select(v => double.IsInfinity(v) ? "not reached" : v.ToString("0", CultureInfo.InvariantCulture)))}], median {(double.IsInfinity(Median(values)) ? "not reached" : Median(values).ToString("0", CultureInfo.InvariantCulture))}";

    /// <summary>Serves the objective over stdin/stdout (one JSON object per line) for Optuna in <c>optuna_tpe.py</c>.</summary>
    public int Serve()
    {
        Console.WriteLine(JsonSerializer.Serialize(new { space = _space.Searched, resource = MaxResource }, MlLifecycle.Core.LifecycleJson.Compact));
        while (Console.ReadLine() is { } line)
        {
            var parameters = JsonSerializer.Deserialize<Dictionary<string, double>>(line)!;
            Console.WriteLine(Objective(parameters, MaxResource).ToString("R", CultureInfo.InvariantCulture));
        }

        return 0;
    }
}
