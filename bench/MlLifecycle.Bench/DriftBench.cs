using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MathNet.Numerics.Distributions;
using MlLifecycle.Core.Monitoring;

/// <summary>
/// A drift check of seeded synthetic data, rows × features numeric values in the reference and as many in the current
/// window, against scipy's <c>ks_2samp</c> and a numpy PSI (bench/drift_scipy.py) on the same arrays, written to a
/// temporary folder, in the same run. Features cycle through normal, log-normal, integer (exponential, floored: many
/// ties) and 2-decimal uniform values; the first four are shifted in the current window (normal mean +0.5 sd,
/// log-normal σ 0.8 → 1.2, exponential rate 0.2 → 0.12, uniform [0, 1] → [0.2, 1.2]), the others are fresh draws of
/// the reference distribution. Exit code 1 when a statistic disagrees with scipy.
/// </summary>
internal static class DriftBench
{
    private const string Python = "/usr/bin/python3";

    public static int Run(int rows, int features, int repeats)
    {
        var folder = Directory.CreateTempSubdirectory("drift-bench-").FullName;
        try
        {
            Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, one thread each side; {rows:N0} reference and {rows:N0} current values × {features} numeric features (first 4 shifted); {repeats} repeats, medians; load average {LoadAverage()}");
            var (reference, current) = Generate(rows, features, seed: 7);
            Write(Path.Combine(folder, "reference.f64"), reference);
            Write(Path.Combine(folder, "current.f64"), current);
            SameWork(reference[0][..10_000], current[0][..10_000]);     // JIT before timing
            DriftDetector.Compare(FeatureProfile.FromNumbers("warm-up", reference[0].AsSpan(0, 10_000)), current[0].AsSpan(0, 10_000), DriftThresholds.Default);

            List<double> ours = [];
            (double D, double P, double Psi)[] results = [];
            for (var r = 0; r < repeats; r++)
            {
                var watch = Stopwatch.StartNew();
                results = [.. reference.Zip(current, SameWork)];
                ours.Add(watch.Elapsed.TotalSeconds);
            }

            List<double> profiling = [], checking = [];
            DatasetDrift? check = null;
            for (var r = 0; r < repeats; r++)
            {
                var watch = Stopwatch.StartNew();
                var profiles = reference.Select((values, f) => FeatureProfile.FromNumbers($"x{f}", values)).ToList();
                profiling.Add(watch.Elapsed.TotalSeconds);
                watch.Restart();
                check = DriftDetector.Summarize([.. profiles.Select((p, f) => DriftDetector.Compare(p, current[f], DriftThresholds.Default))], 0.3);
                checking.Add(watch.Elapsed.TotalSeconds);
            }

            var peer = RunScipy(folder, rows, features, repeats);
            var scipyKs = Median(peer.KsSeconds);
            var scipyTotal = Median(peer.KsSeconds.Zip(peer.PsiSeconds, (k, p) => k + p).ToList());
            double worstD = 0, worstP = 0, worstPsi = 0, worstProfileD = 0;
            for (var f = 0; f < features; f++)
            {
                var theirs = peer.Features[f];
                worstD = Math.Max(worstD, Math.Abs(results[f].D - theirs.Statistic));
                worstP = Math.Max(worstP, Math.Abs(results[f].P - theirs.PValue));
                worstPsi = Math.Max(worstPsi, Math.Abs(results[f].Psi - theirs.Psi));
                worstProfileD = Math.Max(worstProfileD, Math.Abs(check!.Features[f].Statistic!.Value - theirs.Statistic));
            }

            Console.WriteLine($"peer: scipy {peer.Scipy}, numpy {peer.Numpy} ({Python}); load average {LoadAverage()}");
            Console.WriteLine("feature  D (scipy)     p (scipy)      PSI (numpy)   | ours: |ΔD|     |Δp|       |ΔPSI|     | profile check: D, drifted");
            for (var f = 0; f < features; f++)
            {
                var (theirs, mine, profiled) = (peer.Features[f], results[f], check!.Features[f]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"x{f,-6}  {theirs.Statistic,-12:G6}  {theirs.PValue,-13:G6}  {theirs.Psi,-12:G6}  | {Math.Abs(mine.D - theirs.Statistic),-9:G3}  {Math.Abs(mine.P - theirs.PValue),-9:G3}  {Math.Abs(mine.Psi - theirs.Psi),-9:G3}  | {profiled.Statistic,-10:G6} {profiled.Drifted}"));
            }

            var agree = worstD <= 1e-12 && worstP <= 1e-9 && worstPsi <= 1e-9 && worstProfileD <= 0.5 / FeatureProfile.DefaultMaxPoints;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                agreement (arrays): max |ΔD| {worstD:G3}, max |Δp| {worstP:G3}, max |ΔPSI| {worstPsi:G3} (tolerance 1e-12, 1e-9, 1e-9)
                agreement (profile of {FeatureProfile.DefaultMaxPoints} points): max |ΔD| {worstProfileD:G3} (bound {0.5 / FeatureProfile.DefaultMaxPoints}) → {(agree ? "OK" : "DISAGREE")}
                verdict: {check!.DriftedFeatures} of {check.TestedFeatures} features drifted ({string.Join(", ", check.Features.Where(x => x.Drifted).Select(x => x.Feature))}), window drifted: {check.Drifted}

                seconds for all {features} features                       median   runs
                scipy ks_2samp                                    {scipyKs,8:F3}   {Join(peer.KsSeconds)}
                scipy ks_2samp + numpy PSI                        {scipyTotal,8:F3}   {Join(peer.KsSeconds.Zip(peer.PsiSeconds, (k, p) => k + p).ToList())}
                ours: sort both once, KS (merge walk, p) + PSI    {Median(ours),8:F3}   {Join(ours)}
                ours: profile the reference (once per version)    {Median(profiling),8:F3}   {Join(profiling)}
                ours: check the window against the profiles       {Median(checking),8:F3}   {Join(checking)}
                ratio ours / scipy, same work (KS + PSI)          {Median(ours) / scipyTotal,8:F3}×  (target ≤ 1×)
                ratio ours / scipy ks_2samp alone                 {Median(ours) / scipyKs,8:F3}×
                ratio window check / scipy KS + PSI               {Median(checking) / scipyTotal,8:F3}×
                """));
            return new MlLifecycle.Bench.BenchResult(
                "drift",
                Environment.GetEnvironmentVariable("BENCH_QUICK") == "1",
                [
                    new($"KS + PSI of {features} features × {rows:N0} values, same work", Median(ours), "s", $"scipy ks_2samp + numpy PSI ({peer.Scipy})", scipyTotal, "lower"),
                    new($"KS of {features} features × {rows:N0} values", Median(ours), "s", "scipy ks_2samp", scipyKs, "lower"),
                    new("the product's window check against stored profiles", Median(checking), "s", "scipy ks_2samp + numpy PSI", scipyTotal, "lower"),
                ],
                [new("statistics agree with scipy/numpy", agree, string.Create(CultureInfo.InvariantCulture, $"max |ΔD| {worstD:G3}, |Δp| {worstP:G3}, |ΔPSI| {worstPsi:G3}, profile |ΔD| {worstProfileD:G3}"))])
            {
                Data = new { rows, features, repeats, ours, profiling, checking, scipy = peer },
            }.Write();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // What scipy's ks_2samp and the numpy PSI compute, on the same arrays: sorted copies once, then one merge walk.
    private static (double D, double P, double Psi) SameWork(double[] reference, double[] current)
    {
        var x = (double[])reference.Clone();
        var y = (double[])current.Clone();
        Array.Sort(x);
        Array.Sort(y);
        var d = KolmogorovSmirnov.Statistic(x, y);
        var edges = Psi.Edges(x);
        return (d, KolmogorovSmirnov.PValue(d, x.Length, y.Length), Psi.Index(Psi.Proportions(x, edges), Psi.Proportions(y, edges)));
    }

    private static (double[][] Reference, double[][] Current) Generate(int rows, int features, int seed)
    {
        var random = new Random(seed);
        double Draw(int feature, bool shifted) => (feature % 4) switch
        {
            0 => Normal.Sample(random, shifted ? 0.5 : 0, 1),
            1 => LogNormal.Sample(random, 0, shifted ? 1.2 : 0.8),
            2 => Math.Floor(Exponential.Sample(random, shifted ? 0.12 : 0.2)),
            _ => Math.Round(ContinuousUniform.Sample(random, shifted ? 0.2 : 0, shifted ? 1.2 : 1), 2),
        };

        var reference = Enumerable.Range(0, features).Select(f => Enumerable.Range(0, rows).Select(_ => Draw(f, false)).ToArray()).ToArray();
        var current = Enumerable.Range(0, features).Select(f => Enumerable.Range(0, rows).Select(_ => Draw(f, f < 4)).ToArray()).ToArray();
        return (reference, current);
    }

    private static void Write(string path, double[][] columns)
    {
        using var file = File.Create(path);
        foreach (var column in columns)
        {
            file.Write(MemoryMarshal.AsBytes(column.AsSpan()));
        }
    }

    private static Peer RunScipy(string folder, int rows, int features, int repeats)
    {
        var script = Path.Combine("bench", "drift_scipy.py");
        if (!File.Exists(script))
        {
            throw new FileNotFoundException("Run the bench from the repository root.", script);
        }

        using var process = Process.Start(new ProcessStartInfo(Python, [script, folder, $"{rows}", $"{features}", $"{repeats}"]))
            ?? throw new InvalidOperationException($"{Python} did not start");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} exited with {process.ExitCode} (apt-get install -y python3-scipy python3-numpy)");
        }

        return JsonSerializer.Deserialize<Peer>(File.ReadAllText(Path.Combine(folder, "scipy.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)));

    private sealed record Peer(string Scipy, string Numpy, List<PeerFeature> Features, List<double> KsSeconds, List<double> PsiSeconds);

    private sealed record PeerFeature(double Statistic, double PValue, double Psi);
}
