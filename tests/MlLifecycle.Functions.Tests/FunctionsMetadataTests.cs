using System.Reflection;
using System.Text.Json;
using MlLifecycle.Api;
using MlLifecycle.Workflows;

namespace MlLifecycle.Functions.Tests;

/// <summary>
/// Core Tools cannot run here, so the Functions app is verified through the <c>functions.metadata</c> the worker SDK
/// generates when the project builds (this test project builds it and copies the file next to the tests).
/// </summary>
public class FunctionsMetadataTests
{
    private static readonly Dictionary<string, JsonElement[]> Functions = Load();

    private static Dictionary<string, JsonElement[]> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("bindings").EnumerateArray().Select(b => b.Clone()).ToArray());
    }

    private static JsonElement Trigger(string function) =>
        Functions[function].Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Theory]
    [InlineData("StartTraining", "post", "training")]
    [InlineData("GetRun", "get", "runs/{runId}")]
    [InlineData("ListModels", "get", "models")]
    [InlineData("GetModel", "get", "models/{model}")]
    [InlineData("Predict", "post", "models/{model}/predict")]
    [InlineData("Health", "get", "health")]
    [InlineData("NoSuchRoute", "put", "{*path}")]
    [InlineData("GetAlias", "get", "models/{model}/aliases/{alias}")]
    [InlineData("SetAlias", "put", "models/{model}/aliases/{alias}")]
    [InlineData("Rollback", "post", "models/{model}/rollback")]
    [InlineData("GetTraffic", "get", "models/{model}/traffic")]
    [InlineData("SetTraffic", "put", "models/{model}/traffic")]
    [InlineData("GetHistory", "get", "models/{model}/history")]
    [InlineData("SetStage", "put", "models/{model}/versions/{version:int}/stage")]
    [InlineData("Feedback", "post", "models/{model}/feedback")]
    [InlineData("ApproveRun", "post", "runs/{runId}/approval")]
    [InlineData("GetExperiment", "get", "models/{model}/experiment")]
    [InlineData("StartBatch", "post", "models/{model}/batch")]
    [InlineData("GetBatch", "get", "batch/{jobId}")]
    [InlineData("RunDriftCheck", "post", "models/{model}/drift")]
    [InlineData("ListDriftChecks", "get", "models/{model}/drift")]
    [InlineData("DriftReport", "get", "models/{model}/drift/{checkId}/report")]
    [InlineData("VersionReport", "get", "models/{model}/versions/{version:int}/report")]
    public void HttpRoutes_MatchTheContract(string function, string method, string route)
    {
        var trigger = Trigger(function);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Contains(method, trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    /// <summary>Every HTTP function asks for the key the local host asks for on the same route (<see cref="RouteAccess.For"/>).</summary>
    [Fact]
    public void HttpRoutes_AskForTheSameKeysAsTheLocalHost()
    {
        var triggers = Functions.Keys.Select(f => (Function: f, Trigger: Trigger(f))).Where(t => t.Trigger.GetProperty("type").GetString() == "httpTrigger").ToList();
        var levels = triggers.ToDictionary(
            t => t.Function,
            t => t.Trigger.GetProperty("authLevel").GetString()!);
        var expected = triggers.ToDictionary(
            t => t.Function,
            t => t.Function == "NoSuchRoute" ? "Anonymous" : RouteAccess.For(t.Trigger.GetProperty("methods")[0].GetString()!, t.Trigger.GetProperty("route").GetString()!).ToString());

        Assert.Equal(expected, levels);
        Assert.Equal(8, levels.Values.Count(l => l == "Admin"));
        Assert.Equal(["Dashboard", "Health", "NoSuchRoute"], levels.Where(l => l.Value == "Anonymous").Select(l => l.Key).Order());
    }

    [Fact]
    public void BlobTrigger_WatchesDatasetsCsvAndHasDurableClient()
    {
        var trigger = Trigger("DatasetUploaded");

        Assert.Equal("blobTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("datasets/{model}/{file}", trigger.GetProperty("path").GetString());
        Assert.Contains(Functions["DatasetUploaded"], b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void ScoringBlobTrigger_WatchesScoringCsvAndHasDurableClient()
    {
        var trigger = Trigger("ScoringUploaded");

        Assert.Equal("blobTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("scoring/{model}/{file}", trigger.GetProperty("path").GetString());
        Assert.Contains(Functions["ScoringUploaded"], b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void TimerTrigger_UsesDriftScheduleSetting()
    {
        var trigger = Trigger("DriftCheck");

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%MlLifecycle:DriftSchedule%", trigger.GetProperty("schedule").GetString());
        Assert.Contains(Functions["DriftCheck"], b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void EveryWorkflowTask_IsAFunctionWithTheRightTrigger()
    {
        var names = typeof(ActivityNames).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();

        Assert.Equal(26, names.Count);
        foreach (var name in names)
        {
            var expected = name.EndsWith("Orchestration", StringComparison.Ordinal) ? "orchestrationTrigger" : "activityTrigger";
            Assert.Equal(expected, Trigger(name).GetProperty("type").GetString());
        }
    }

    [Fact]
    public void LocalHostTasks_AreTheFunctionsAppsTasks()
    {
        var tasks = WorkflowRegistration.Tasks;
        var registered = tasks.Activities.Keys.Concat(tasks.Orchestrators.Keys).Order().ToList();
        var functions = Functions.Where(f => Trigger(f.Key).GetProperty("type").GetString() is "activityTrigger" or "orchestrationTrigger").Select(f => f.Key).Order().ToList();

        Assert.Equal(functions, registered);
    }
}
