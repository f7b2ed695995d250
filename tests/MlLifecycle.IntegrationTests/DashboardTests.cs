using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Api;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The dashboard in a real browser: headless Chromium loads <c>/</c> from a serving host over a model with a tuned run
/// and a drift check, runs its script against the HTTP API with the key from <c>?code=</c>, and the rendered page must
/// hold the model, its versions, the run's fold table, the trial chart (a point per trial) and the drift chart.
/// </summary>
public sealed class DashboardTests(OrchestrationFixture engine) : IClassFixture<OrchestrationFixture>
{
    [Fact]
    public async Task Dashboard_RenderedInHeadlessChromium_ShowsModelsRunsTrialsAndDriftWithCharts()
    {
        var trained = await engine.RunAsync("dash-1", "dash", TuningTests.ClassificationCsv(150, 31), """{"label": "y", "seed": 2, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}, "tuning": {"strategy": "random", "maxTrials": 4}}""");
        Assert.Equal(RunStatus.Succeeded, trained.Status);
        await using var host = await engine.StartHttpHostAsync();
        await engine.Store.WriteAsync(ArtifactStore.Monitoring, "dash/window.csv", BinaryData.FromString(ShiftA(TuningTests.ClassificationCsv(150, 32))));
        await host.Services.GetRequiredService<DriftMonitor>().CheckAsync(new DriftCheckRequest("dash", "check-1", Data: $"{ArtifactStore.Monitoring}/dash/window.csv"));

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var page = await http.GetAsync("/"); // anonymous: the page asks for no key, its API calls do
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("http", Regex.Replace(await page.Content.ReadAsStringAsync(), "https?://www.w3.org/[^\"]*", ""), StringComparison.Ordinal); // nothing loaded from elsewhere

        var dom = await RenderAsync(new Uri(host.BaseAddress!, $"/?code={host.Keys.Function}"));

        Assert.Contains("Models (", dom, StringComparison.Ordinal);
        Assert.Matches(@"<h2>dash</h2>", dom);
        Assert.Matches(@"<td>(LightGbm|Linear) \(selected\)</td>", dom);
        Assert.Contains("<th>fold 2</th>", dom, StringComparison.Ordinal);
        Assert.Matches(@"<progress id=""progress"" max=""7"" value=""7"">", dom);
        Assert.Equal(4, Regex.Matches(Svg(dom, "trial-chart"), "<circle").Count);
        Assert.Single(Regex.Matches(Svg(dom, "drift-chart"), "<circle"));
        Assert.Contains("Drift checks (1)", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<p class=\"error\">", dom, StringComparison.Ordinal); // no call of the page failed

        Assert.Contains($"/api/models/dash/versions/1/report?code={host.Keys.Function}", WebUtility.HtmlDecode(dom), StringComparison.Ordinal);

        // The version's report, rendered: the gate, the confusion matrix over every test row, a bar per trainer, a point
        // per trial, the ensemble's members, importance bars and the data quality summary.
        var report = await RenderAsync(new Uri(host.BaseAddress!, $"/api/models/dash/versions/1/report?code={host.Keys.Function}"));
        Assert.Contains("<h1>dash v1 — ", report, StringComparison.Ordinal);
        Assert.Contains("champion gate: <b class=\"ok\">passed</b>", report, StringComparison.Ordinal);
        var matrix = Regex.Match(report, @"<table id=""confusion-matrix"">.*?</table>", RegexOptions.Singleline).Value;
        var testRows = (await engine.Store.ReadJsonAsync<System.Text.Json.JsonElement>(ArtifactStore.Artifacts, "dash/1/evaluation.json")).GetProperty("testRows").GetInt32();
        Assert.Equal(testRows, Regex.Matches(matrix, @"<td[^>]*>(\d+)</td>").Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(2, Regex.Matches(Svg(report, "cv-chart"), "<rect").Count);
        var roc = Regex.Match(Svg(report, "roc-chart"), @"<polyline[^>]*points=""([^""]+)""").Groups[1].Value.Split(' ');
        Assert.InRange(roc.Length, 3, Core.Evaluation.Curves.MaxPoints);
        Assert.Equal(("30.0", "230.0", "230.0", "30.0"), (roc[0].Split(',')[0], roc[0].Split(',')[1], roc[^1].Split(',')[0], roc[^1].Split(',')[1])); // from (0, 0) to (1, 1)
        Assert.Contains("<polyline", Svg(report, "pr-chart"), StringComparison.Ordinal);
        Assert.Equal(4, Regex.Matches(Svg(report, "trial-chart"), "<circle").Count);
        Assert.NotEmpty(Regex.Matches(Svg(report, "importance-chart"), "<rect"));
        Assert.Equal(2, Regex.Matches(Svg(report, "class-chart"), "<rect").Count);
        Assert.Contains("rows after cleaning", report, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", report, StringComparison.Ordinal);
        using var noVersion = await http.GetAsync($"/api/models/dash/versions/9/report?code={host.Keys.Function}");
        Assert.Equal(HttpStatusCode.NotFound, noVersion.StatusCode);

        // The drift check's report: the verdict, feature a drifted against its thresholds and not b, and each feature's
        // distribution, baseline against current, over the same bins (two bars a bin).
        Assert.Contains($"/api/models/dash/drift/check-1/report?code={host.Keys.Function}", WebUtility.HtmlDecode(dom), StringComparison.Ordinal);
        var drift = await RenderAsync(new Uri(host.BaseAddress!, $"/api/models/dash/drift/check-1/report?code={host.Keys.Function}"));
        Assert.Contains("<h1>dash v1 — drift check check-1</h1>", drift, StringComparison.Ordinal);
        Assert.Contains("alert: <b class=\"bad\">yes</b>", drift, StringComparison.Ordinal);
        Assert.Matches(@"<tr><td>a</td><td>ks</td><td>[0-9.E+-]+ &lt; 0\.05</td><td>[0-9.]+ ≥ 0\.1</td>.*?<b class=""bad"">yes</b></td></tr>", drift);
        Assert.Matches(@"<tr><td>b</td><td>ks</td>.*?<td>no</td></tr>", drift);
        foreach (var feature in new[] { "a", "b", "c" })
        {
            var bars = Regex.Matches(Svg(drift, $"dist-{feature}"), @"<rect class=""(ref|cur)""").Select(m => m.Groups[1].Value).ToList();
            Assert.InRange(bars.Count, 4, 20);
            Assert.Equal(bars.Count / 2, bars.Count(b => b == "cur"));
        }

        var bins = (await engine.Store.ReadJsonAsync<System.Text.Json.JsonElement>(ArtifactStore.Artifacts, "dash/drift/check-1.json")).GetProperty("features")[0].GetProperty("bins");
        var (top, topNow) = (bins.GetProperty("reference").EnumerateArray().Last().GetDouble(), bins.GetProperty("current").EnumerateArray().Last().GetDouble());
        Assert.InRange(top, 0.05, 0.15); // a baseline decile
        Assert.InRange(topNow, 0.5, 0.7); // 0.5 + U(0, 1) is above the baseline's 0.9 quantile about 60 % of the time
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{top:P0} → {topNow:P0}"), WebUtility.HtmlDecode(Svg(drift, "dist-a")), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", drift, StringComparison.Ordinal);
        using var noCheck = await http.GetAsync($"/api/models/dash/drift/check-9/report?code={host.Keys.Function}");
        Assert.Equal(HttpStatusCode.NotFound, noCheck.StatusCode);
        using var badId = await http.GetAsync($"/api/models/dash/drift/..%2F1%2Fmanifest/report?code={host.Keys.Function}");
        Assert.Equal(HttpStatusCode.NotFound, badId.StatusCode);

        // A wrong key is shown as the API's answer, not as an empty page.
        Assert.Contains("The key is not valid.", await RenderAsync(new Uri(host.BaseAddress!, "/?code=wrong")), StringComparison.Ordinal);
    }

    /// <summary>The CSV with 0.5 added to column a (its first): a shift past most of the baseline's range.</summary>
    private static string ShiftA(byte[] csv) => string.Join('\n', System.Text.Encoding.UTF8.GetString(csv).Split('\n').Select((line, i) =>
        i == 0 || line.Length == 0 ? line : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{double.Parse(line[..line.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) + 0.5:F4}{line[line.IndexOf(',', StringComparison.Ordinal)..]}")));

    private static string Svg(string dom, string id) =>
        Regex.Match(dom, $@"<svg id=""{id}"".*?</svg>", RegexOptions.Singleline) is { Success: true } match ? match.Value : throw new Xunit.Sdk.XunitException($"no <svg id=\"{id}\"> in the rendered page");

    /// <summary>The page's DOM after its script ran, from headless Chromium (<c>--dump-dom</c>), without the script itself.</summary>
    private static async Task<string> RenderAsync(Uri url)
    {
        var browser = new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists)
            ?? throw new Xunit.Sdk.XunitException("headless Chromium is needed: apt-get install chromium (.ci/run installs it)");
        using var process = Process.Start(new ProcessStartInfo(browser)
        {
            ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=15000", "--dump-dom", url.ToString() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var dom = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return Regex.Replace(await dom, "<script>.*?</script>", "", RegexOptions.Singleline); // what was rendered, not the script's text
    }
}
