using MlLifecycle.Core.Spec;

namespace MlLifecycle.Workflows.Tests;

public class RunIdsTests
{
    [Fact]
    public void ForBlob_QuotedAndBareEtag_GiveSameId() =>
        Assert.Equal(RunIds.ForBlob("m/a.csv", "\"0x8DE1\""), RunIds.ForBlob("m/a.csv", "0x8DE1"));

    [Fact]
    public void ForBlob_NewEtag_GivesNewIdWithoutSlash()
    {
        var first = RunIds.ForBlob("m/a.csv", "0x1");
        var second = RunIds.ForBlob("m/a.csv", "0x2");

        Assert.NotEqual(first, second);
        Assert.DoesNotContain('/', first);
        Assert.StartsWith("blob-", first, StringComparison.Ordinal);
    }

    [Fact]
    public void ForRequest_DifferentSeed_GivesDifferentId() =>
        Assert.NotEqual(RunIds.ForRequest(new TrainingRequest("m", "m/a.csv", new ProblemSpec { Seed = 1 }), "e"), RunIds.ForRequest(new TrainingRequest("m", "m/a.csv", new ProblemSpec { Seed = 2 }), "e"));

    [Fact]
    public void ForScoringBlob_SameVersion_SameId_AndNotATrainingRunsId()
    {
        Assert.Equal(RunIds.ForScoringBlob("m/a.csv", "\"0x1\""), RunIds.ForScoringBlob("m/a.csv", "0x1"));
        Assert.NotEqual(RunIds.ForBlob("m/a.csv", "0x1"), RunIds.ForScoringBlob("m/a.csv", "0x1"));
        Assert.StartsWith("batch-", RunIds.ForScoringBlob("m/a.csv", "0x1"), StringComparison.Ordinal);
    }

    [Fact]
    public void ForBatch_OtherModelVersion_GivesOtherJob() =>
        Assert.NotEqual(RunIds.ForBatch(new BatchRequest("m", "in/a.csv", "e", 1)), RunIds.ForBatch(new BatchRequest("m", "in/a.csv", "e", 2)));
}
