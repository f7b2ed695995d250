using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

[Collection(PlatformCollection.Name)]
public class TrainingApiTests(PlatformFixture platform)
{
    /// <summary>A small regression dataset: y = 2·x1 − x2 + noise, with a categorical column.</summary>
    private static byte[] RegressionCsv()
    {
        var random = new Random(1);
        var text = new StringBuilder("x1,x2,group,y\n");
        for (var i = 0; i < 300; i++)
        {
            double x1 = random.NextDouble() * 10, x2 = random.NextDouble() * 5;
            var group = (i % 3) switch { 0 => "a", 1 => "b", _ => "c" };
            text.Append(CultureInfo.InvariantCulture, $"{x1:F3},{x2:F3},{group},{2 * x1 - x2 + (group == "c" ? 3 : 0) + random.NextDouble() * 0.1:F4}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task PostTraining_Returns202WithStatusUrl_AndTheRunSucceeds()
    {
        // The blob watcher also trains this upload under its own run id; the API run is a second, explicit run.
        await platform.UploadAsync("reg-api/data.csv", RegressionCsv());

        var response = await platform.Http.PostAsJsonAsync("api/training", new { model = "reg-api", dataset = "datasets/reg-api/data.csv", label = "y", seed = 7 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var runId = body.GetProperty("runId").GetString()!;
        var again = await (await platform.Http.PostAsJsonAsync("api/training", new { model = "reg-api", dataset = "reg-api/data.csv", label = "y", seed = 7 })).Content.ReadFromJsonAsync<JsonElement>();
        var run = await platform.WaitForRunAsync(runId);
        var status = await platform.Http.GetFromJsonAsync<JsonElement>(body.GetProperty("statusUrl").GetString()!.TrimStart('/'));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/runs/{runId}", response.Headers.Location!.OriginalString);
        Assert.Equal(runId, again.GetProperty("runId").GetString());
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("Regression", status.GetProperty("task").GetString());
        Assert.True(run.Metrics!["r2"] > 0.9, $"r2 {run.Metrics["r2"]}");
    }

    [Theory]
    [InlineData("""{"dataset": "x/none.csv"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"model": "Bad Name", "dataset": "x/none.csv"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"model": "x"}""", HttpStatusCode.BadRequest)]
    [InlineData("""not json""", HttpStatusCode.BadRequest)]
    public async Task PostTraining_BadRequest_ReturnsProblem(string json, HttpStatusCode expected)
    {
        var response = await platform.Http.PostAsync("api/training", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    public static TheoryData<string, byte[], string?, string> BadUploads() => new()
    {
        { "bad-empty", [], null, "EmptyFile" },
        { "bad-header", Encoding.UTF8.GetBytes("a,b,class\n"), "class", "NoRows" },
        { "bad-nolabel", Encoding.UTF8.GetBytes("a,b\n1,2\n3,4\n"), "class", "MissingLabelColumn" },
        { "bad-garbage", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE, 0x81, 0xC3, 0x28, 0xA0, 0xA1, 0x0A], null, "InvalidEncoding" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task BadUpload_IsRejectedQuarantinedAndRegistersNothing(string model, byte[] content, string? label, string code)
    {
        var blob = $"{model}/upload.csv";
        var etag = await platform.UploadAsync(blob, content, label);

        var run = await platform.WaitForRunAsync(RunIds.ForBlob(blob, etag));
        var status = await platform.Http.GetFromJsonAsync<JsonElement>($"api/runs/{run.RunId}");
        var reason = await platform.Store.TryReadAsync(ArtifactStore.Quarantine, $"{blob}.reason.json");

        Assert.Equal(RunStatus.Rejected, run.Status);
        Assert.Equal(code, Assert.Single(run.Anomalies!).Code);
        Assert.Equal("Rejected", status.GetProperty("status").GetString());
        Assert.Contains(code, status.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotNull(reason);
        Assert.Contains(code, reason.ToString(), StringComparison.Ordinal);
        Assert.Equal(content, (await platform.Store.ReadAsync(ArtifactStore.Quarantine, blob)).ToArray());
        Assert.Null(await platform.Store.TryReadAsync(ArtifactStore.Datasets, blob));
        Assert.Empty(await platform.Registry.ListVersionsAsync(model));
        Assert.Null(await platform.Registry.ResolveAliasAsync(model, ModelRegistry.Champion));
    }
}
