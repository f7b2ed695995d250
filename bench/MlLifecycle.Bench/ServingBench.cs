using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Api;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Data;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

/// <summary>
/// Serving: <c>POST /api/models/{model}/predict</c> of a running <c>serve</c> against a bare Kestrel endpoint (its own
/// process, same route, parses the same JSON body, returns a constant), with one client and the same connections for
/// both: p50/p99 at a fixed rate (open loop) and throughput at saturation (closed loop), for single rows and batches.
/// Then the champion's scoring in-process, through the API the product scores with.
/// </summary>
internal static class ServingBench
{
    private const int Rate = 1000;
    private const int Connections = 16;
    private const int BatchRows = 100;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] Constant = """{"model":"bare","version":1,"alias":"champion","requestId":"0","predictions":[{"label":"good","probabilities":{"good":0.75,"bad":0.25}}]}"""u8.ToArray();

    public static async Task<int> RunAsync(Uri baseUrl, string model, string csv, TimeSpan duration)
    {
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[..3];

        // The champion as the product loads it: registry → model.zip (SHA-256 checked) → TrainedModel.
        await using var azurite = await Azurite.StartAsync(AzuriteOptions.FromEnvironment(), NullLogger.Instance);
        await using var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance).AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddMlLifecycleStorage(azurite.ConnectionString).AddMlLifecycleWorkflows().AddMlLifecycleApi()
            .BuildServiceProvider();
        var server = services.GetRequiredService<ModelServer>();
        var served = (await server.RouteAsync(model, null, null) ?? throw new InvalidOperationException(await server.DescribeMissingAsync(model, null, null))).Served;

        TabularData table;
        await using (var stream = File.OpenRead(csv))
        {
            table = CsvLoader.Read(stream);
        }

        var rows = PredictionInput.FromTable(table, served.Schema);
        var objects = rows.Select(r => served.Schema.Features.Select((f, i) => (f.Name, Value: ToJson(r[i]))).ToDictionary(x => x.Name, x => x.Value)).ToList();
        var single = objects.Select(o => JsonSerializer.SerializeToUtf8Bytes(o)).ToArray();
        var batches = objects.Chunk(BatchRows).Where(c => c.Length == BatchRows).Select(c => JsonSerializer.SerializeToUtf8Bytes(new { rows = c })).ToArray();

        using var bare = StartBare();
        var bareUrl = new Uri(bare.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the bare endpoint did not start"));
        List<(string Target, int Rows, Stats Open, Stats Closed)> results = [];
        using (var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = RequestTimeout })
        {
            // serve's function key (the bare endpoint ignores it): the same header every client of predict sends.
            client.DefaultRequestHeaders.Add(ApiKeys.Header, KeyFile.LoadOrCreate(KeyFile.DefaultPath()).Keys.Function);
            foreach (var (rowsPerRequest, bodies) in new[] { (1, single), (BatchRows, batches) })
            {
                foreach (var (target, root) in new[] { ("bare Kestrel", bareUrl), ("predict", baseUrl) })
                {
                    var url = new Uri(root, $"api/models/{model}/predict");
                    using (var check = await client.PostAsync(url, Content(bodies[0])))
                    {
                        check.EnsureSuccessStatusCode();
                    }

                    await ClosedLoopAsync(client, url, bodies, TimeSpan.FromSeconds(Math.Min(3, duration.TotalSeconds))); // warm-up: JIT, all connections open
                    var open = await OpenLoopAsync(client, url, bodies, duration);
                    var closed = await ClosedLoopAsync(client, url, bodies, duration);
                    results.Add((target, rowsPerRequest, open, closed));
                    Console.Error.WriteLine($"{target}, {rowsPerRequest} row(s): {open} | {closed}");
                }
            }
        }

        bare.StandardInput.Close();
        if (!bare.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            bare.Kill();
        }

        // In-process: what one request costs the product besides HTTP, timed call by call after warm-up.
        var parse = Time(20_000, i => PredictionInput.FromJson(JsonSerializer.Deserialize<JsonElement>(single[i % single.Length]), served.Schema, served.Required));
        var resolve = await TimeAsync(300, async _ => await server.RouteAsync(model, null, null));
        var one = Time(5_000, i => served.Predictor.PredictOne(rows[i % rows.Count]));
        var rowBatches = rows.Chunk(BatchRows).Where(c => c.Length == BatchRows).ToArray();
        var batch = Time(500, i => served.Predictor.Predict(rowBatches[i % rowBatches.Length]));

        var loadAfter = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores (client and servers share them), load average {string.Join(' ', load)} before, {string.Join(' ', loadAfter)} after; "
            + $"{model} v{served.Version} ({served.Predictor.Trainer}); {Connections} connections; {duration.TotalSeconds:0} s per run; open loop {Rate} req/s, latency from the scheduled send");
        Console.WriteLine();
        Console.WriteLine($"| target | rows/request | p50 @ {Rate} req/s | p99 @ {Rate} req/s | achieved req/s | saturation req/s ({Connections} conn.) | rows/s | p50 sat. | p99 sat. | errors |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (target, rowsPerRequest, open, closed) in results)
        {
            var atLeast = KeptUp(open) ? "" : "≥ ";
            Console.WriteLine($"| {target} | {rowsPerRequest} | {atLeast}{Ms(open.P50)} | {atLeast}{Ms(open.P99)} | {open.PerSecond:0} | {closed.PerSecond:0} | {closed.PerSecond * rowsPerRequest:0} | {Ms(closed.P50)} | {Ms(closed.P99)} | {open.Errors + closed.Errors} |");
        }

        Console.WriteLine();
        Console.WriteLine("| in-process, after warm-up | p50 | p99 |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| `PredictOne` of 1 row (pooled row-to-row mapper) | {Us(one.P50)} | {Us(one.P99)} |");
        Console.WriteLine($"| `Predict` of {BatchRows} rows, per row | {Us(batch.P50 / BatchRows)} | {Us(batch.P99 / BatchRows)} |");
        Console.WriteLine($"| parse a 1-row body (`JsonElement` + `PredictionInput.FromJson`) | {Us(parse.P50)} | {Us(parse.P99)} |");
        Console.WriteLine($"| route the request (`ModelServer.RouteAsync`: cached aliases, loaded model) | {Us(resolve.P50)} | {Us(resolve.P99)} |");
        Console.WriteLine();
        foreach (var rowsPerRequest in new[] { 1, BatchRows })
        {
            var (b, p) = (results.Single(r => r.Target == "bare Kestrel" && r.Rows == rowsPerRequest), results.Single(r => r.Target == "predict" && r.Rows == rowsPerRequest));
            Console.WriteLine($"- {rowsPerRequest} row(s)/request: predict p99 @ {Rate} req/s = **{(KeptUp(p.Open) ? "" : "≥ ")}{(double)p.Open.P99 / b.Open.P99:0.0}×** bare (target ≤ 3×); "
                + $"saturation throughput = **{p.Closed.PerSecond / b.Closed.PerSecond:P0}** of bare (target ≥ 30 %)");
        }

        foreach (var (target, rowsPerRequest, open, _) in results.Where(r => !KeptUp(r.Open)))
        {
            Console.WriteLine($"- {target}, {rowsPerRequest} row(s)/request, kept up with {open.PerSecond:0} of {Rate} req/s: its queue grew for the whole run, "
                + $"so those percentiles measure the run's length (and the {RequestTimeout.TotalSeconds:0} s timeout: {open.Errors} errors), not the service");
        }

        Console.WriteLine($"- in-process single-row p50 = **{Us(one.P50)}** (target ≤ 20 µs)");
        static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
        List<MlLifecycle.Bench.BenchFigure> figures = [];
        foreach (var rowsPerRequest in new[] { 1, BatchRows })
        {
            var (b, p) = (results.Single(r => r.Target == "bare Kestrel" && r.Rows == rowsPerRequest), results.Single(r => r.Target == "predict" && r.Rows == rowsPerRequest));
            figures.Add(new($"predict, {rowsPerRequest} row(s)/request: saturation throughput ({Connections} connections)", p.Closed.PerSecond, "req/s", "bare Kestrel, same client", b.Closed.PerSecond, "higher"));
            figures.Add(new($"predict, {rowsPerRequest} row(s)/request: p99 at {Rate} req/s{(KeptUp(p.Open) ? "" : " (did not keep up: a lower bound)")}", Seconds(p.Open.P99) * 1000, "ms", "bare Kestrel, same client", Seconds(b.Open.P99) * 1000, "lower"));
        }

        figures.Add(new("in-process single-row scoring, p50", Seconds(one.P50) * 1e6, "µs", "the serving issue's target", 20, "lower"));
        figures.Add(new($"in-process scoring of {BatchRows} rows, p50 per row", Seconds(batch.P50) * 1e6 / BatchRows, "µs", "the single-row p50", Seconds(one.P50) * 1e6, "lower"));
        return new MlLifecycle.Bench.BenchResult("inference", Environment.GetEnvironmentVariable("BENCH_QUICK") == "1", figures, [])
        {
            Data = results.Select(r => new { r.Target, r.Rows, open = new { r.Open.PerSecond, p50Ms = Seconds(r.Open.P50) * 1000, p99Ms = Seconds(r.Open.P99) * 1000, r.Open.Errors }, closed = new { r.Closed.PerSecond, p50Ms = Seconds(r.Closed.P50) * 1000, p99Ms = Seconds(r.Closed.P99) * 1000, r.Closed.Errors } }).ToList(),
        }.Write();
    }

    /// <summary>The bare endpoint: <c>serving-bare</c> mode of this program. Prints its address; stops when stdin closes.</summary>
    public static async Task<int> ServeBareAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapPost("/api/models/{model}/predict", async (HttpRequest request) =>
        {
            // Read and parse the body exactly as LifecycleApi.ReadJsonAsync does.
            var content = await BinaryData.FromStreamAsync(request.Body, request.HttpContext.RequestAborted);
            JsonSerializer.Deserialize<JsonElement>(content.ToStream());
            return Results.Bytes(Constant, "application/json");
        });
        await app.StartAsync();
        Console.WriteLine(app.Urls.First());
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    /// <summary>Starts the bare endpoint in its own process with the server GC, as <c>serve</c> runs (Sdk.Web's default).</summary>
    private static Process StartBare()
    {
        var start = new ProcessStartInfo("dotnet", [typeof(ServingBench).Assembly.Location, "serving-bare"]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.Environment["DOTNET_gcServer"] = "1";
        return Process.Start(start)!;
    }

    /// <summary>
    /// Requests sent on a fixed clock whatever the answers do; each latency runs from the request's scheduled time, so
    /// a stalled server is charged for the requests that queue behind it (no coordinated omission). A request that
    /// fails or times out counts as an error and its latency as the time it took to fail.
    /// </summary>
    private static async Task<Stats> OpenLoopAsync(HttpClient client, Uri url, byte[][] bodies, TimeSpan duration)
    {
        var histogram = NewHistogram();
        var errors = 0;
        var sends = new Task[(int)(Rate * duration.TotalSeconds)];
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
        var dispatcher = new Thread(() =>
        {
            for (var i = 0; i < sends.Length; i++)
            {
                var scheduled = start + i * Stopwatch.Frequency / Rate;
                SleepUntil(scheduled);
                sends[i] = SendAsync(i, scheduled);
            }
        });
        dispatcher.Start();
        dispatcher.Join();
        await Task.WhenAll(sends);
        return new Stats(histogram, errors, Stopwatch.GetElapsedTime(start));

        async Task SendAsync(int i, long scheduled)
        {
            if (!await PostAsync(client, url, bodies[i % bodies.Length]))
            {
                Interlocked.Increment(ref errors);
            }

            histogram.RecordValue(Stopwatch.GetTimestamp() - scheduled);
        }
    }

    /// <summary>As many requests as <see cref="Connections"/> callers can send, each waiting for its answer (errors timed too).</summary>
    private static async Task<Stats> ClosedLoopAsync(HttpClient client, Uri url, byte[][] bodies, TimeSpan duration)
    {
        var histogram = NewHistogram();
        var errors = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async caller =>
        {
            for (var i = caller; Stopwatch.GetTimestamp() < end; i += Connections)
            {
                var sent = Stopwatch.GetTimestamp();
                if (!await PostAsync(client, url, bodies[i % bodies.Length]))
                {
                    Interlocked.Increment(ref errors);
                }

                histogram.RecordValue(Stopwatch.GetTimestamp() - sent);
            }
        }));
        return new Stats(histogram, errors, Stopwatch.GetElapsedTime(start));
    }

    private static async Task<bool> PostAsync(HttpClient client, Uri url, byte[] body)
    {
        try
        {
            using var response = await client.PostAsync(url, Content(body));
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static bool KeptUp(Stats open) => open.PerSecond >= 0.95 * Rate;

    private static ByteArrayContent Content(byte[] body) => new(body) { Headers = { ContentType = Json } };

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Times each call after a warm-up of at least a tenth of the calls and one second: the runtime's tiered JIT
    /// recompiles hot code a while after its first 30 calls, so a shorter warm-up times tier-0 code, not what a
    /// long-running host serves with (after 500 calls of warm-up the single-row p50 read 58 µs).
    /// </summary>
    private static Stats Time(int calls, Action<int> call)
    {
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < calls / 10 || warm.Elapsed < WarmUp; i++)
        {
            call(i);
        }

        var histogram = NewHistogram();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            var before = Stopwatch.GetTimestamp();
            call(i);
            histogram.RecordValue(Stopwatch.GetTimestamp() - before);
        }

        return new Stats(histogram, 0, Stopwatch.GetElapsedTime(start));
    }

    private static async Task<Stats> TimeAsync(int calls, Func<int, Task> call)
    {
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < calls / 10 || warm.Elapsed < WarmUp; i++)
        {
            await call(i);
        }

        var histogram = NewHistogram();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            var before = Stopwatch.GetTimestamp();
            await call(i);
            histogram.RecordValue(Stopwatch.GetTimestamp() - before);
        }

        return new Stats(histogram, 0, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>Stopwatch ticks from 1 tick to 1 minute, 3 significant digits.</summary>
    private static LongConcurrentHistogram NewHistogram() => new(1, 60 * Stopwatch.Frequency, 3);

    private static string Ms(long ticks) => $"{ticks * 1000.0 / Stopwatch.Frequency:0.00} ms";

    private static string Us(long ticks) => $"{ticks * 1_000_000.0 / Stopwatch.Frequency:0.0} µs";

    private static object? ToJson(string? cell) => cell is not null && SchemaInference.TryParseNumber(cell, out var number) ? number : cell;

    // Thread.Sleep has millisecond granularity, the same as the interval: sleeping to an absolute time on the
    // monotonic clock (which Stopwatch reads on Linux, in nanoseconds) sends within tens of microseconds of schedule
    // without spinning a core away from the servers.
    private static void SleepUntil(long timestamp)
    {
        if (OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000)
        {
            var at = new Timespec(timestamp / 1_000_000_000, timestamp % 1_000_000_000);
            while (clock_nanosleep(ClockMonotonic, TimerAbsolute, in at, IntPtr.Zero) == Interrupted)
            {
            }
        }
        else
        {
            while (Stopwatch.GetTimestamp() < timestamp)
            {
                Thread.Sleep(0);
            }
        }
    }

    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int Interrupted = 4; // EINTR

    [DllImport("libc")]
    private static extern int clock_nanosleep(int clock, int flags, in Timespec request, IntPtr remain);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(long Seconds, long Nanoseconds);

    private sealed record Stats(long P50, long P99, long Count, int Errors, double PerSecond)
    {
        public Stats(HistogramBase histogram, int errors, TimeSpan elapsed)
            : this(histogram.GetValueAtPercentile(50), histogram.GetValueAtPercentile(99), histogram.TotalCount, errors, (histogram.TotalCount - errors) / elapsed.TotalSeconds)
        {
        }

        public override string ToString() => $"p50 {Ms(P50)}, p99 {Ms(P99)}, {PerSecond:0} req/s, {Errors} errors";
    }
}
