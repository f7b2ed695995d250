using System.Globalization;
using System.Text;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

[Collection(PlatformCollection.Name)]
public class CrossValidationTests(PlatformFixture platform)
{
    private static byte[] RegressionCsv(int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("x1,x2,y\n");
        for (var i = 0; i < 200; i++)
        {
            double x1 = random.NextDouble() * 10, x2 = random.NextDouble() * 5;
            text.Append(CultureInfo.InvariantCulture, $"{x1:F3},{x2:F3},{3 * x1 - x2 + random.NextDouble():F4}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task FiveFoldRun_SchedulesFiveFoldActivities_AndAggregatesTheirMean()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "cv5/lifecycle.json", BinaryData.FromString("""{"label": "y", "validation": {"method": "kFold", "folds": 5, "trainers": ["LightGbm"]}}"""));
        var etag = await platform.UploadAsync("cv5/data.csv", RegressionCsv(3));

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("cv5/data.csv", etag));
        var scheduled = await platform.CountScheduledAsync(run.RunId, ActivityNames.EvaluateFold);

        var trials = await platform.Registry.ListTrialsAsync(run.RunId);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(5, scheduled);
        Assert.Equal(5, trials.Count);
        Assert.Equal([0, 1, 2, 3, 4], trials.Select(t => t.Fold).Order());
        var plan = await platform.Store.ReadJsonAsync<Core.Validation.ValidationPlan>(ArtifactStore.Artifacts, new RunContext(run.RunId, "cv5", "cv5/data.csv", null).SplitBlob);
        Assert.Equal(200 - plan.Split.Test.Length, trials.Sum(t => t.ValidationRows)); // every train + validation row once
        Assert.InRange(plan.Split.Test.Length, 15, 45); // 15 % of 200, by row hash
        var summary = Assert.Single(run.Selection!.Trainers);
        Assert.Equal(trials.Average(t => t.Metrics["rmse"]), summary.Metrics["rmse"].Mean, 9);
        Assert.Equal(trials.Average(t => t.Metrics["r2"]), summary.Metrics["r2"].Mean, 9);
    }

    /// <summary>Labels near float's largest value: the linear trainer's weights overflow; trees still fit.</summary>
    private static byte[] HugeLabelCsv()
    {
        var random = new Random(1);
        var text = new StringBuilder("x,z,y\n");
        for (var i = 0; i < 300; i++)
        {
            double x = random.NextDouble() * 10, z = random.NextDouble();
            text.Append(CultureInfo.InvariantCulture, $"{x:F3},{z:F3},{(x + z) * 1e37:E6}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task CandidateThatCannotTrain_IsLeftOutWithItsError_AndTheRunSucceeds()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "diverge/lifecycle.json", BinaryData.FromString("""{"label": "y", "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}}"""));
        var etag = await platform.UploadAsync("diverge/data.csv", HugeLabelCsv());

        var run = await platform.WaitForRunAsync(RunIds.ForBlob("diverge/data.csv", etag));
        var trials = await platform.Registry.ListTrialsAsync(run.RunId);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("LightGbm", run.Selection!.Winner);
        var linear = run.Selection.Trainers.Single(t => t.Trainer == "Linear");
        Assert.StartsWith("fold 0: ArgumentOutOfRangeException: Cannot initialize linear predictor with non-finite weights", linear.Error, StringComparison.Ordinal);
        Assert.Null(run.Selection.Trainers.Single(t => t.Trainer == "LightGbm").Error);
        Assert.Equal(3, trials.Count(t => t.Trainer == "Linear" && t.Error is not null && t.Metrics.Count == 0));
        Assert.Equal(6, await platform.CountScheduledAsync(run.RunId, ActivityNames.EvaluateFold)); // 3 folds × 2 trainers: a failure is not retried
        Assert.True(run.Metrics!["r2"] > 0.9);
    }

    [Fact]
    public async Task RetrainWithoutImprovement_IsRegisteredAsCandidate_ChampionUnchanged()
    {
        await platform.Store.WriteAsync(ArtifactStore.Datasets, "gate/lifecycle.json", BinaryData.FromString("""{"label": "y", "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}}"""));
        var first = await platform.WaitForRunAsync(RunIds.ForBlob("gate/a.csv", await platform.UploadAsync("gate/a.csv", RegressionCsv(5))));

        var second = await platform.WaitForRunAsync(RunIds.ForBlob("gate/b.csv", await platform.UploadAsync("gate/b.csv", RegressionCsv(5))));
        var version = await platform.Registry.GetVersionAsync("gate", 2);

        Assert.True(first.Champion);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.Equal(2, second.Version);
        Assert.False(second.Champion);
        Assert.False(second.Gate!.Passed);
        Assert.Equal(1, second.Gate.ChampionVersion);
        Assert.Equal(second.Gate.Candidate, second.Gate.Champion);
        Assert.False(version!.Gate!.Passed);
        Assert.Contains("champion v1", version.Gate.Reason, StringComparison.Ordinal);
        Assert.Equal(1, await platform.Registry.ResolveAliasAsync("gate", ModelRegistry.Champion));
    }
}
