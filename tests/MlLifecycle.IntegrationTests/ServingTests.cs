using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlLifecycle.Api;
using MlLifecycle.Core.Tests;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The serving hot path on a second host of the fixture's storage: HTTP only, no worker, no blob trigger, so its
/// storage clients are used by serving alone and their request count shows what a prediction costs in storage calls.
/// Versions are copies of the fixture's credit-g champion registered under fresh model names, so each test owns its model.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ServingTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly ILoggerFactory _loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
    private LocalPlatform? _host;
    private HttpClient _http = null!;

    private StorageCalls Calls => _host!.Services.GetRequiredService<StorageCalls>();

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Starts the serving host with a route TTL of <paramref name="routeTtl"/> (default: one minute, longer than any test).</summary>
    private async Task StartAsync(string routeTtl = "00:01:00", string? webhook = null)
    {
        var options = new LocalPlatformOptions(AzuriteOptions.Ephemeral, HttpPort: 0, WatchBlobs: false, StorageConnectionString: platform.Platform.StorageConnectionString, HostWorker: false)
        {
            Settings = { ["Serving:RouteTtl"] = routeTtl, ["Serving:MaxLoadedModels"] = "2", ["Serving:MaxRows"] = "1000", ["Serving:MaxBodyBytes"] = "1048576", ["MlLifecycle:RegistryWebhook"] = webhook },
        };
        _host = await LocalPlatform.StartAsync(options, _loggers);
        _http = new HttpClient { BaseAddress = _host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Add(ApiKeys.Header, _host.Keys.Admin);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _loggers.Dispose();
    }

    [Fact]
    public async Task Predict_SteadyState_MakesNoStorageCalls()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 1);
        await PredictAsync(model);
        await PredictAsync(model, "?version=1");
        var before = Calls.Count;

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(1, (await PredictAsync(model)).GetProperty("version").GetInt32());
            Assert.Equal(1, (await PredictAsync(model, "?version=1", rows: 3)).GetProperty("version").GetInt32());
        }

        // Within a route TTL, 200 predictions cost nothing in storage (after it, one background read per model refreshes the routes).
        Assert.Equal(0, Calls.Count - before);
    }

    [Fact]
    public async Task AliasMovedByAnotherProcess_IsServedWithinTheTtl_AndNoRequestFails()
    {
        await StartAsync("00:00:00.500");
        var model = await platform.NewModelAsync(versions: 2);
        await PredictAsync(model);
        using var stop = new CancellationTokenSource();
        var statuses = new List<(HttpStatusCode Status, int Version)>();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await _http.PostAsJsonAsync($"api/models/{model}/predict", PlatformFixture.CreditRow());
                var version = response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32() : 0;
                lock (statuses)
                {
                    statuses.Add((response.StatusCode, version));
                }
            }
        });

        Assert.True(await platform.Registry.TryMoveAliasAsync(model, ModelRegistry.Champion, 2, 1, DateTimeOffset.UtcNow));
        var moved = DateTime.UtcNow;
        while ((await PredictAsync(model)).GetProperty("version").GetInt32() != 2)
        {
            Assert.True(DateTime.UtcNow - moved < TimeSpan.FromSeconds(10), "the move was not served within 10 s");
        }

        var servedAfter = DateTime.UtcNow - moved;
        await Task.Delay(300);
        await stop.CancelAsync();
        await load;

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.Contains(statuses, s => s.Version == 1);
        Assert.Contains(statuses, s => s.Version == 2);
        Assert.True(servedAfter < TimeSpan.FromSeconds(3), $"served v2 after {servedAfter.TotalSeconds:F1} s with a 0.5 s TTL");
        // Once v2 answers, v1 never answers again: the swap is one reference.
        Assert.DoesNotContain(statuses.SkipWhile(s => s.Version != 2), s => s.Version == 1);
    }

    /// <summary>
    /// A champion alias moved (behind the API's back) onto a damaged or hostile model.zip: the first three fail the
    /// registry's SHA-256; the zip bomb (1.1 GiB of zeros in about 1 MiB) and the path-traversal entry were recorded with
    /// their own SHA-256, as if an attacker wrote both blob and registry, and fail the archive check. None reaches ML.NET.
    /// </summary>
    [Theory]
    [InlineData("truncated", "SHA-256")]
    [InlineData("bit flip", "SHA-256")]
    [InlineData("another model's zip", "SHA-256")]
    [InlineData("zip bomb", "zip bomb")]
    [InlineData("path traversal", "relative paths inside the archive")]
    public async Task TamperedModelZip_IsRefusedBeforeLoad_WithAClearError_AndThePreviousChampionKeepsServing(string tampering, string reason)
    {
        await StartAsync("00:00:00.500");
        var model = await platform.NewModelAsync(versions: 1);
        var other = (await platform.Store.ReadAsync(ArtifactStore.Artifacts, $"{PlatformFixture.CreditModel}/1/{ModelRegistry.EvaluatedModelFile}")).ToArray();
        var bad = await platform.CopyVersionAsync(model, recordAlteredSha: reason != "SHA-256", alterZip: zip => tampering switch
        {
            "truncated" => zip[..^16],
            "bit flip" => ZipTampering.Flip(zip),
            "another model's zip" => other,
            "zip bomb" => ZipTampering.Bomb((1L << 30) + (100 << 20)),
            _ => ZipTampering.WithEntry(zip, "../../../tmp/escaped.txt", [1]),
        });
        await PredictAsync(model);

        Assert.True(await platform.Registry.TryMoveAliasAsync(model, ModelRegistry.Champion, bad, 1, DateTimeOffset.UtcNow));
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 15; i++)
        {
            answers.Add(await _http.PostAsJsonAsync($"api/models/{model}/predict", PlatformFixture.CreditRow()));
            await Task.Delay(100);
        }

        var pinned = await _http.PostAsJsonAsync($"api/models/{model}/predict?version={bad}", PlatformFixture.CreditRow());
        var problem = await pinned.Content.ReadFromJsonAsync<JsonElement>();
        var moveBack = await PutAsync($"api/models/{model}/aliases/challenger", new { version = bad });

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        foreach (var answer in answers)
        {
            Assert.Equal(1, (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
        }

        Assert.Equal(HttpStatusCode.Conflict, pinned.StatusCode);
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains($"model.zip of '{model}' v{bad}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, moveBack.StatusCode);
        Assert.False(File.Exists("/tmp/escaped.txt"));
    }

    [Fact]
    public async Task LoadedModels_AreBoundedByCount_LeastRecentlyUsedFirst()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 3);
        await PredictAsync(model, "?version=1");
        await PredictAsync(model, "?version=2");
        await PredictAsync(model, "?version=1"); // v1 is now the most recent of two
        await PredictAsync(model, "?version=3"); // a third: v2 is dropped (limit 2)

        var before = Calls.Count;
        await PredictAsync(model, "?version=1");
        await PredictAsync(model, "?version=3");
        var cached = Calls.Count - before;
        await PredictAsync(model, "?version=2");
        var reloaded = Calls.Count - before;

        Assert.Equal(0, cached);
        Assert.True(reloaded >= 3, $"v2 was dropped, so it is downloaded again (model, schema, manifest): {reloaded} calls");
    }

    [Fact]
    public async Task Predict_FeatureTheModelDoesNotRead_MayBeOmitted_AndOneItReadsMayNot()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 1, editManifest: manifest =>
        {
            foreach (var feature in manifest["features"]!.AsArray().Where(f => f!["name"]!.GetValue<string>() == "own_telephone"))
            {
                feature!["inputs"] = new JsonArray();
            }
        });
        var row = JsonSerializer.SerializeToNode(PlatformFixture.CreditRow())!.AsObject();
        row.Remove("own_telephone");
        var withoutDropped = await _http.PostAsJsonAsync($"api/models/{model}/predict", row);
        row.Remove("age");
        var withoutRead = await _http.PostAsJsonAsync($"api/models/{model}/predict", row);

        Assert.Equal(HttpStatusCode.OK, withoutDropped.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, withoutRead.StatusCode);
        Assert.Equal("age", (await withoutRead.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Predict_TooManyRowsOrTooLargeABody_Returns413ProblemNamingTheLimit()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 1);
        var rows = await _http.PostAsJsonAsync($"api/models/{model}/predict", new { rows = Enumerable.Repeat(PlatformFixture.CreditRow(), 1001) });
        var rowsProblem = await rows.Content.ReadFromJsonAsync<JsonElement>();
        List<HttpStatusCode> large = [];
        for (var i = 0; i < 10; i++)
        {
            // 4 MiB against a 1 MiB limit, with and without Content-Length (chunked): an answer each time, never a reset.
            var body = new StringContent("{\"rows\": [" + string.Join(',', Enumerable.Repeat(JsonSerializer.Serialize(PlatformFixture.CreditRow()), 8000)) + "]}", Encoding.UTF8, "application/json");
            var request = new HttpRequestMessage(HttpMethod.Post, $"api/models/{model}/predict") { Content = i % 2 == 0 ? body : new StreamContent(await body.ReadAsStreamAsync()) };
            request.Headers.TransferEncodingChunked = i % 2 == 1;
            var response = await _http.SendAsync(request);
            large.Add(response.StatusCode);
            Assert.Contains("1048576 bytes", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, rows.StatusCode);
        Assert.Contains("1001 rows; the limit is 1000", rowsProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(large, s => Assert.Equal(HttpStatusCode.RequestEntityTooLarge, s));
    }

    [Fact]
    public async Task SetAlias_IsETagGuarded_RecordsWhoAndWhy_AndRollbackRestoresThePreviousChampion()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 3);
        var read = await _http.GetAsync($"api/models/{model}/aliases/champion");
        var etag = read.Headers.ETag!.ToString();

        var move = await PutAsync($"api/models/{model}/aliases/champion", new { version = 2, reason = "better auc", by = "ann" }, etag);
        var stale = await PutAsync($"api/models/{model}/aliases/champion", new { version = 3, by = "bob" }, etag);
        var servedAfterMove = (await PredictAsync(model)).GetProperty("version").GetInt32();
        var rollback = await _http.PostAsJsonAsync($"api/models/{model}/rollback", new { reason = "v2 misbehaves", by = "cat" });
        var servedAfterRollback = (await PredictAsync(model)).GetProperty("version").GetInt32();
        var history = (await _http.GetFromJsonAsync<JsonElement>($"api/models/{model}/history")).GetProperty("changes").EnumerateArray().ToList();

        Assert.Equal(HttpStatusCode.OK, move.StatusCode);
        Assert.NotEqual(etag, move.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(2, servedAfterMove);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        Assert.Equal(1, servedAfterRollback);
        Assert.Equal(1, await platform.Registry.ResolveAliasAsync(model, ModelRegistry.Champion));
        Assert.Equal(
            ["rollback 2→1 by cat: v2 misbehaves", "move 1→2 by ann: better auc"],
            history.Take(2).Select(c => $"{c.GetProperty("action").GetString()} {c.GetProperty("from").GetInt32()}→{c.GetProperty("to").GetInt32()} by {c.GetProperty("by").GetString()}: {c.GetProperty("reason").GetString()}"));
    }

    [Fact]
    public async Task RegistryEvents_ArePostedToTheWebhook_WithWhoAndWhy()
    {
        var received = new List<JsonElement>();
        var hook = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        hook.WebHost.UseUrls("http://127.0.0.1:0");
        await using var listener = hook.Build();
        listener.MapPost("/events", async (HttpRequest request) =>
        {
            var change = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            lock (received)
            {
                received.Add(change);
            }

            return Results.Ok();
        });
        await listener.StartAsync();
        await StartAsync(webhook: $"{listener.Urls.First()}/events");
        var model = await platform.NewModelAsync(versions: 2);

        await PutAsync($"api/models/{model}/aliases/champion", new { version = 2, by = "ann", reason = "better" });
        await _http.PostAsJsonAsync($"api/models/{model}/rollback", new { by = "bob", reason = "worse" });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (received.Count(e => e.GetProperty("model").GetString() == model) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        // Each event is sent on its own, so they may arrive in either order.
        var events = received.Where(e => e.GetProperty("model").GetString() == model).Select(e => $"{e.GetProperty("action").GetString()} {e.GetProperty("from").GetInt32()}→{e.GetProperty("to").GetInt32()} by {e.GetProperty("by").GetString()}: {e.GetProperty("reason").GetString()}").Order().ToList();
        Assert.Equal(["move 1→2 by ann: better", "rollback 2→1 by bob: worse"], events);

        // A drift alert goes to the same webhook, with its evidence.
        var csv = (await File.ReadAllLinesAsync(PlatformFixture.CreditCsvPath)).ToList();
        var amount = csv[0].Split(',').ToList().IndexOf("credit_amount");
        var tripled = csv.Take(1).Concat(csv.Skip(1).Select(line => { var cells = line.Split(','); cells[amount] = (double.Parse(cells[amount], CultureInfo.InvariantCulture) * 3).ToString(CultureInfo.InvariantCulture); return string.Join(',', cells); }));
        await platform.Store.Blob(ArtifactStore.Monitoring, $"{model}/tripled.csv").UploadAsync(BinaryData.FromString(string.Join('\n', tripled)), overwrite: true);
        using var check = await _http.PostAsJsonAsync($"api/models/{model}/drift", new { data = $"monitoring/{model}/tripled.csv" });
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (!received.Any(e => e.GetProperty("model").GetString() == model && e.GetProperty("action").GetString() == "drift") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var alert = Assert.Single(received, e => e.GetProperty("model").GetString() == model && e.GetProperty("action").GetString() == "drift");
        Assert.Equal(["credit_amount"], alert.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("feature").GetString()));
        Assert.StartsWith($"artifacts/{model}/drift/data-", alert.GetProperty("report").GetString());
    }

    [Fact]
    public async Task SetAlias_ToAnUnknownArchivedOrCorruptVersion_IsRefusedAndNothingMoves()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 2);
        var corrupt = await platform.CopyVersionAsync(model, zip => zip[..^16]);
        var archive = await PutAsync($"api/models/{model}/versions/2/stage", new { stage = "archived", reason = "superseded" });
        var archiveChampion = await PutAsync($"api/models/{model}/versions/1/stage", new { stage = "archived" });

        var unknown = await PutAsync($"api/models/{model}/aliases/champion", new { version = 99 });
        var archived = await PutAsync($"api/models/{model}/aliases/champion", new { version = 2 });
        var integrity = await PutAsync($"api/models/{model}/aliases/challenger", new { version = corrupt });
        var noVersion = await PutAsync($"api/models/{model}/aliases/champion", new { reason = "no version" });

        Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, archiveChampion.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, archived.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, integrity.StatusCode);
        Assert.Contains("SHA-256", (await integrity.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
        Assert.Equal(new Dictionary<string, int> { ["champion"] = 1 }, await platform.Registry.GetAliasesAsync(model));
    }

    [Fact]
    public async Task TrafficSplit_80_20_Over10000Requests_LandsWithin2Percent_AndAKeyAlwaysGetsTheSameVariant()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 2);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync($"api/models/{model}/aliases/challenger", new { version = 2 })).StatusCode);
        var split = await PutAsync($"api/models/{model}/traffic", new { champion = 80, challenger = 20, reason = "try v2" });
        var counts = new Dictionary<string, int>();
        var sticky = new HashSet<string>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var body = await PredictAsync(model);
            lock (counts)
            {
                var variant = body.GetProperty("variant").GetString()!;
                counts[variant] = counts.GetValueOrDefault(variant) + 1;
                Assert.Equal(variant == "champion" ? 1 : 2, body.GetProperty("version").GetInt32());
            }
        });
        for (var i = 0; i < 20; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"api/models/{model}/predict") { Content = JsonContent.Create(PlatformFixture.CreditRow()) };
            request.Headers.Add("X-Routing-Key", "customer-42");
            sticky.Add((await (await _http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString()!);
        }

        Assert.Equal(HttpStatusCode.OK, split.StatusCode);
        Assert.InRange(counts["challenger"] / 10_000.0, 0.18, 0.22);
        Assert.Equal(10_000, counts["champion"] + counts["challenger"]);
        Assert.Single(sticky);
    }

    [Fact]
    public async Task ShadowThatThrows_NeverChangesAResponse_AndItsFailuresAreCounted()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 1);
        var broken = await platform.CopyVersionAsync(model, zip => zip[..^16]);
        var rows = Enumerable.Range(0, 30).Select(i => PlatformFixture.CreditRow(6 + i)).ToList();
        var expected = new List<string>();
        foreach (var row in rows)
        {
            expected.Add((await PostPredictAsync(model, row)).GetProperty("predictions").GetRawText());
        }

        // Set straight in the registry: the API refuses a shadow that fails its integrity check; this one broke afterwards.
        await platform.Registry.SetTrafficAsync(model, new TrafficSplit(new Dictionary<string, int> { ["champion"] = 100 }, broken), new Actor("test"), DateTimeOffset.UtcNow);
        await _host!.Services.GetRequiredService<ModelServer>().RefreshAsync(model);
        var shadowed = new List<string>();
        foreach (var row in rows)
        {
            var body = await PostPredictAsync(model, row);
            Assert.Equal("champion", body.GetProperty("variant").GetString());
            shadowed.Add(body.GetProperty("predictions").GetRawText());
        }

        var shadows = _host.Services.GetRequiredService<ShadowScorer>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (shadows.Stats.Failed + shadows.Stats.Skipped < rows.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(expected, shadowed);
        Assert.Equal(0, shadows.Stats.Scored);
        Assert.Equal(rows.Count, shadows.Stats.Failed + shadows.Stats.Skipped);
        Assert.True(shadows.Stats.Failed > 0);
    }

    [Theory]
    [InlineData(0.60, 0.85, "ChallengerBetter", 2)]
    [InlineData(0.70, 0.70, "Continue", 1)]
    public async Task ABTest_OnFeedback_PromotesATrulyBetterChallenger_AndNothingInTheNullCase(double championAccuracy, double challengerAccuracy, string decision, int championAfter)
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 2, editSpec: spec => spec["deployment"] = new JsonObject { ["experiment"] = "Auto", ["experimentMinSamplePerArm"] = 50 });
        Assert.Equal(HttpStatusCode.OK, (await PutAsync($"api/models/{model}/aliases/challenger", new { version = 2 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync($"api/models/{model}/traffic", new { champion = 50, challenger = 50 })).StatusCode);
        var random = new Random(7);
        var feedback = new List<object>();
        for (var i = 0; i < 600; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"api/models/{model}/predict") { Content = JsonContent.Create(PlatformFixture.CreditRow(6 + (i % 40))) };
            request.Headers.Add("X-Routing-Key", $"customer-{i}");
            var body = await (await _http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
            var predicted = body.GetProperty("predictions")[0].GetProperty("label").GetString()!;
            var accuracy = body.GetProperty("variant").GetString() == "challenger" ? challengerAccuracy : championAccuracy;
            feedback.Add(new { requestId = body.GetProperty("requestId").GetString(), actual = random.NextDouble() < accuracy ? predicted : predicted == "good" ? "bad" : "good" });
        }

        var posted = await _http.PostAsJsonAsync($"api/models/{model}/feedback", new { feedback });
        await _host!.Services.GetRequiredService<InferenceLog>().FlushAsync();
        var report = await _http.GetFromJsonAsync<JsonElement>($"api/models/{model}/experiment");

        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        Assert.Equal(600, report.GetProperty("champion").GetProperty("outcomes").GetInt64() + report.GetProperty("challenger").GetProperty("outcomes").GetInt64());
        Assert.InRange(report.GetProperty("challenger").GetProperty("mean").GetDouble(), challengerAccuracy - 0.07, challengerAccuracy + 0.07);
        Assert.Equal(decision, report.GetProperty("decision").GetString());
        Assert.Equal(championAfter, await platform.Registry.ResolveAliasAsync(model, ModelRegistry.Champion));
        if (championAfter == 2)
        {
            Assert.Null(await platform.Registry.GetTrafficAsync(model));
            Assert.Contains(await platform.Registry.ListHistoryAsync(model), c => c.Action == DeploymentActions.Experiment && c.By == "ab-test");
            Assert.Equal(2, (await PredictAsync(model)).GetProperty("version").GetInt32());
        }
        else
        {
            Assert.True(report.GetProperty("pValue").GetDouble() > 0.05);
        }
    }

    [Fact]
    public async Task Feedback_BadInput_Returns4xxProblems()
    {
        await StartAsync();
        var model = await platform.NewModelAsync(versions: 1);

        var badId = await _http.PostAsJsonAsync($"api/models/{model}/feedback", new { requestId = "nope", actual = "good" });
        var noActual = await _http.PostAsJsonAsync($"api/models/{model}/feedback", new { requestId = "20261201120000-00000000000000ab" });
        var unknownModel = await _http.PostAsJsonAsync("api/models/no-such-model/feedback", new { requestId = "20261201120000-00000000000000ab", actual = "good" });
        var noExperiment = await _http.GetAsync($"api/models/{model}/experiment");

        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Equal("requestId", (await badId.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noActual.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownModel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noExperiment.StatusCode);
    }

    [Theory]
    [InlineData("GET", "api/models/credit/report")]
    [InlineData("POST", "api/nothing/here")]
    [InlineData("DELETE", "api/models")]
    public async Task UnknownApiRoute_Returns404Problem(string method, string url)
    {
        await StartAsync();
        var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith($"No route matches {method} /{url}", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private Task<JsonElement> PredictAsync(string model, string query = "", int rows = 1) =>
        PostPredictAsync(model, rows == 1 ? PlatformFixture.CreditRow() : new { rows = Enumerable.Range(0, rows).Select(i => PlatformFixture.CreditRow(6 + i)) }, query);

    private async Task<JsonElement> PostPredictAsync(string model, object body, string query = "")
    {
        var response = await _http.PostAsJsonAsync($"api/models/{model}/predict{query}", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> PutAsync(string url, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return _http.SendAsync(request);
    }
}
