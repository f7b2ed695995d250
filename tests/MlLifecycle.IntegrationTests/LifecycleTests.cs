using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

[Collection(PlatformCollection.Name)]
public class LifecycleTests(PlatformFixture platform)
{
    private readonly HttpClient _http = platform.Http;

    private static object CreditRow(int duration = 12, string checking = "<0") => PlatformFixture.CreditRow(duration, checking);

    [Fact]
    public async Task BlobUpload_RunsEveryStageOnTheDurableEngine_AndRegistersChampion()
    {
        var run = platform.CreditRun;

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(1, run.Version);
        Assert.True(run.Champion);
        Assert.InRange(run.Metrics!["accuracy"], 0.65, 1.0);
        Assert.InRange(run.Metrics["auc"], 0.70, 1.0);
        Assert.Equal(1, await platform.Registry.ResolveAliasAsync(PlatformFixture.CreditModel, ModelRegistry.Champion));
        var version = await platform.Registry.GetVersionAsync(PlatformFixture.CreditModel, 1);
        var zip = await platform.Store.ReadAsync(ArtifactStore.Artifacts, $"{PlatformFixture.CreditModel}/1/model.zip");
        Assert.Equal(ArtifactStore.Sha256(zip), version!.ArtifactSha256);
        Assert.Equal("class", version.Label);
        Assert.Equal(42, version.Seed);
        Assert.NotNull(await platform.Store.TryReadAsync(ArtifactStore.Artifacts, $"{PlatformFixture.CreditModel}/1/schema.json"));
        var manifest = JsonDocument.Parse((await platform.Store.ReadAsync(ArtifactStore.Artifacts, $"{PlatformFixture.CreditModel}/1/manifest.json")).ToString()).RootElement;
        Assert.Equal(version.DataSha256, manifest.GetProperty("dataSha256").GetString());
        Assert.True(manifest.GetProperty("packages").TryGetProperty("Microsoft.ML", out _));
        Assert.Equal(20, manifest.GetProperty("features").GetArrayLength());
        Assert.Equal(10, manifest.GetProperty("permutationImportance").GetArrayLength());
        Assert.Equal(10, run.Importance!.Count);
    }

    [Fact]
    public async Task GetRun_FinishedRun_ShowsOutcome()
    {
        var response = await _http.GetAsync($"api/runs/{platform.CreditRun.RunId}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Succeeded", body.GetProperty("status").GetString());
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.Equal("BinaryClassification", body.GetProperty("task").GetString());
        Assert.True(body.GetProperty("metrics").GetProperty("macroF1").GetDouble() > 0.5);
    }

    [Fact]
    public async Task Predict_OneRowAndRows_ReturnsContractShape()
    {
        var single = await _http.PostAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/predict", CreditRow());
        var many = await _http.PostAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/predict", new { rows = new[] { CreditRow(6), CreditRow(48, "no checking"), CreditRow(24) } });
        var body = await many.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        Assert.Equal(HttpStatusCode.OK, many.StatusCode);
        Assert.Equal(PlatformFixture.CreditModel, body.GetProperty("model").GetString());
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.Equal("champion", body.GetProperty("alias").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("requestId").GetString()));
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(3, predictions.Count);
        Assert.All(predictions, p =>
        {
            Assert.Contains(p.GetProperty("label").GetString(), new[] { "good", "bad" });
            var probabilities = p.GetProperty("probabilities");
            Assert.Equal(1.0, probabilities.GetProperty("good").GetDouble() + probabilities.GetProperty("bad").GetDouble(), 6);
        });
    }

    [Fact]
    public async Task Predict_ConcurrentRequests_MatchSequentialAnswers()
    {
        var rows = Enumerable.Range(0, 16).Select(i => CreditRow(6 + 3 * i, i % 2 == 0 ? "<0" : "no checking")).ToList();
        var sequential = new List<string>();
        foreach (var row in rows)
        {
            sequential.Add(await PredictionOf(row));
        }

        var concurrent = await Task.WhenAll(rows.Select(PredictionOf));

        Assert.Equal(sequential, concurrent);

        async Task<string> PredictionOf(object row)
        {
            var body = await (await _http.PostAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/predict", row)).Content.ReadFromJsonAsync<JsonElement>();
            return body.GetProperty("predictions")[0].GetRawText();
        }
    }

    [Fact]
    public async Task Predict_MissingField_Returns400ProblemNamingField()
    {
        var response = await _http.PostAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/predict", new { duration = 12 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("checking_status", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Predict_MistypedField_Returns400ProblemNamingField()
    {
        var row = JsonSerializer.SerializeToNode(CreditRow())!.AsObject();
        row["age"] = "thirty";

        var response = await _http.PostAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/predict", row);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("age", body.GetProperty("field").GetString());
        Assert.Contains("must be a number", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json", "The request body is not valid JSON at line 1, position 2: send a JSON object")]
    [InlineData("", "The request body is empty: send a JSON object")]
    public async Task Predict_InvalidJsonOrEmptyBody_Returns400SayingWhichWithoutParserInternals(string content, string detail)
    {
        var response = await _http.PostAsync($"api/models/{PlatformFixture.CreditModel}/predict", new StringContent(content, System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith(detail, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/models/no-such-model/predict", "No model named 'no-such-model' exists.")]
    [InlineData("api/models/no-such-model/predict?alias=staging", "No model named 'no-such-model' exists.")]
    [InlineData("api/models/credit/predict?version=99", "Model 'credit' has no version 99.")]
    [InlineData("api/models/credit/predict?alias=staging", "Model 'credit' has no 'staging' version.")]
    public async Task Predict_UnknownModelOrVersion_Returns404ProblemNamingWhatIsMissing(string url, string detail)
    {
        var response = await _http.PostAsJsonAsync(url, CreditRow());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(detail, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GetRun_Unknown_Returns404()
    {
        var response = await _http.GetAsync("api/runs/no-such-run");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ModelsEndpoints_ListAndShowTheVersion()
    {
        var list = await _http.GetFromJsonAsync<JsonElement>("api/models");
        var show = await _http.GetFromJsonAsync<JsonElement>($"api/models/{PlatformFixture.CreditModel}");

        Assert.Contains(list.GetProperty("models").EnumerateArray(), m => m.GetProperty("model").GetString() == PlatformFixture.CreditModel);
        Assert.Equal(1, show.GetProperty("aliases").GetProperty("champion").GetInt32());
        Assert.Contains(show.GetProperty("versions").EnumerateArray(), v => v.GetProperty("version").GetInt32() == 1 && v.GetProperty("status").GetString() == "Registered");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("api/models/never-trained")).StatusCode);
    }

    [Fact]
    public async Task Health_Returns200()
    {
        var response = await _http.GetAsync("api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SameBlobVersionTriggeredAgain_StartsNoSecondRun()
    {
        var properties = await platform.Store.TryGetPropertiesAsync(ArtifactStore.Datasets, platform.CreditBlob);
        var starter = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Api.TrainingStarter>(platform.Platform.Services);

        // Eight triggers of the same (path, ETag) at once, as a blob trigger may fire more than once.
        var runIds = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => starter.StartForBlobAsync(platform.Platform.Client, platform.CreditBlob, properties!.ETag.ToString())));
        var runId = runIds[0];
        var instance = await platform.Platform.Client.GetInstanceAsync(runId!);

        Assert.All(runIds, id => Assert.Equal(platform.CreditRun.RunId, id));
        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed, instance!.RuntimeStatus);
        Assert.Equal(platform.CreditRun.CreatedAt, instance.CreatedAt); // the same instance, not started again
        // The instance store itself refuses a second start under the same id, whatever the starter checks first.
        await Assert.ThrowsAsync<DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException>(() =>
            platform.Platform.Client.ScheduleNewOrchestrationInstanceAsync(ActivityNames.TrainingOrchestration, new TrainingRequest(PlatformFixture.CreditModel, platform.CreditBlob), new Microsoft.DurableTask.StartOrchestrationOptions(runId!)));
        Assert.Single(await platform.Registry.ListVersionsAsync(PlatformFixture.CreditModel));
        Assert.Equal(1, await platform.CountScheduledAsync(runId!, ActivityNames.ValidateDataset));
    }

    /// <summary>Another ETag is another version of the blob, so another run (here one that finds the blob is not that version).</summary>
    [Fact]
    public async Task SameBlobPathWithAnotherETag_StartsANewRun()
    {
        var starter = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Api.TrainingStarter>(platform.Platform.Services);

        var runId = await starter.StartForBlobAsync(platform.Platform.Client, platform.CreditBlob, "\"0x8DD000000000000\"");
        var run = await platform.WaitForRunAsync(runId!);

        Assert.NotEqual(platform.CreditRun.RunId, runId);
        Assert.Equal(RunStatus.Rejected, run.Status);
        Assert.Contains("was replaced after this run started", run.Message, StringComparison.Ordinal);
    }
}
