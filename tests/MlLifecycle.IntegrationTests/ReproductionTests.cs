using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using MlLifecycle.Api;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using MlLifecycle.Workflows.Activities;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// <c>train --reproduce</c> and <c>POST /api/models/{m}/versions/{v}/reproduce</c> on the real engine: a version with
/// cross-validation of two trainers, tuning, ensemble selection and the refit is trained again from its record and
/// must give the same model bytes and test metrics; a changed dataset is refused; a comparison that differs says how.
/// </summary>
public sealed class ReproductionTests(OrchestrationFixture engine) : IClassFixture<OrchestrationFixture>
{
    private const string Spec = """{"label": "y", "seed": 11, "validation": {"folds": 2, "trainers": ["LightGbm", "Linear"]}, "tuning": {"strategy": "random", "maxTrials": 2}}""";

    private TrainingStarter Starter => engine.Platform.Services.GetRequiredService<TrainingStarter>();

    [Fact]
    public async Task AVersion_TrainedAgainFromItsRecord_HasTheSameModelBytesAndMetrics_AndRegistersNothing()
    {
        var trained = await engine.RunAsync("repro-original", "repro", TuningTests.ClassificationCsv(160, 21), Spec);
        Assert.Equal((RunStatus.Succeeded, 1), (trained.Status, trained.Version));
        var v1 = (await engine.Registry.GetVersionAsync("repro", 1))!;

        var runId = await Starter.StartReproductionAsync(engine.Client, engine.Store, engine.Registry, "repro", 1);
        var result = await engine.WaitForRunAsync(runId);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var reproduction = result.Reproduction!;
        Assert.True(reproduction.Reproduced, string.Join("; ", reproduction.Differences));
        Assert.Empty(reproduction.Differences);
        Assert.Equal((1, v1.ArtifactSha256, v1.CodeVersion), (reproduction.Version, reproduction.ModelSha256, reproduction.CodeVersionNow));
        Assert.Equal(v1.Metrics.OrderBy(m => m.Key), result.Metrics!.OrderBy(m => m.Key));
        Assert.NotNull(result.RefitRows);
        Assert.Equal("reproduces v1 exactly: model bytes and test metrics", result.Message);
        Assert.Single(await engine.Registry.ListVersionsAsync("repro"));
        Assert.Equal(1, (await engine.Registry.GetAliasesAsync("repro"))[ModelRegistry.Champion]);
        Assert.Contains(await engine.Registry.ListRunsAsync("repro"), r => r.RunId == runId && r.Version is null && r.Message == result.Message);
        Assert.Equal(runId, await Starter.StartReproductionAsync(engine.Client, engine.Store, engine.Registry, "repro", 1)); // the same request names the same run

        // The comparison is not vacuous: other served bytes and another metric are each reported.
        var run = new RunContext(runId, "repro", v1.Dataset, null);
        await engine.Store.WriteAsync(ArtifactStore.Artifacts, run.RefitModelBlob, BinaryData.FromString("other bytes"));
        var test = new Dictionary<string, double>(result.Metrics!) { ["accuracy"] = result.Metrics!["accuracy"] + 0.01 };
        var differs = await engine.Platform.Services.GetRequiredService<CompareReproduction>().RunAsync(new ReproduceInput(run, 1, v1.DataSha256, test, Refit: true));
        Assert.False(differs.Reproduced);
        Assert.Equal(2, differs.Differences.Count);
        Assert.StartsWith("served model SHA-256: " + v1.ArtifactSha256 + " in v1, ", differs.Differences[0], StringComparison.Ordinal);
        Assert.StartsWith("test accuracy: ", differs.Differences[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverHttp_ReproduceAnswers202_404ForNoSuchVersion_And409WhenTheDataChanged()
    {
        var trained = await engine.RunAsync("repro-http-original", "reprohttp", TuningTests.ClassificationCsv(120, 22), """{"label": "y", "seed": 5, "validation": {"folds": 2, "trainers": ["LightGbm"]}}""");
        Assert.Equal(RunStatus.Succeeded, trained.Status);
        await using var host = await engine.StartHttpHostAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, host.Keys.Admin);

        using var accepted = await http.PostAsync("api/models/reprohttp/versions/1/reproduce", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        Assert.Equal($"/api/runs/{runId}", accepted.Headers.Location!.ToString());
        Assert.True((await engine.WaitForRunAsync(runId)).Reproduction!.Reproduced);
        var status = await http.GetFromJsonAsync<JsonElement>($"api/runs/{runId}");
        Assert.True(status.GetProperty("reproduction").GetProperty("reproduced").GetBoolean());

        using var missing = await http.PostAsync("api/models/reprohttp/versions/7/reproduce", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("reprohttp v7 does not exist", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await engine.Store.WriteAsync(ArtifactStore.Datasets, "reprohttp/data.csv", BinaryData.FromBytes(TuningTests.ClassificationCsv(121, 22)));
        using var changed = await http.PostAsync("api/models/reprohttp/versions/1/reproduce", null);
        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        var problem = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("datasets/reprohttp/data.csv has changed since reprohttp v1 was trained on it", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
