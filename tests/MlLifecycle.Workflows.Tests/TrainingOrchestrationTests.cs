using Microsoft.DurableTask;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Evaluation;
using MlLifecycle.Core.Spec;
using Moq;

namespace MlLifecycle.Workflows.Tests;

public class TrainingOrchestrationTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TrainingRequest Request = new("credit", "credit/data.csv", new ProblemSpec { Label = "class", Seed = 7 });
    private readonly Mock<TaskOrchestrationContext> _context = new();
    private readonly List<string> _calls = [];

    public TrainingOrchestrationTests()
    {
        _context.SetupGet(c => c.InstanceId).Returns("run-1");
        _context.SetupGet(c => c.CurrentUtcDateTime).Returns(Start);
        _context.Setup(c => c.CallActivityAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((name, _, _) => _calls.Add(name.Name))
            .Returns(Task.CompletedTask);
    }

    private void Returns<T>(string activity, T result) =>
        _context.Setup(c => c.CallActivityAsync<T>(It.Is<TaskName>(n => n.Name == activity), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((name, _, _) => _calls.Add(name.Name))
            .ReturnsAsync(result);

    private static ValidationOutcome Accepted => new(true, MlTask.BinaryClassification, "class", "f1", 7, "sha", new DataSummary(105, 5, 0, 100, 2), []);

    private void SetupHappyPath()
    {
        Returns(ActivityNames.ValidateDataset, Accepted);
        Returns(ActivityNames.SplitDataset, new SplitOutcome(70, 15, 15, CvMethod.StratifiedKFold, 3, ["LightGbm", "Linear"], 2, new TuningSpec(), 7));
        _context.Setup(c => c.CallActivityAsync<FoldResult>(It.Is<TaskName>(n => n.Name == ActivityNames.EvaluateFold), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((name, _, _) => _calls.Add(name.Name))
            .Returns<TaskName, object?, TaskOptions?>((_, input, _) =>
            {
                var fold = (FoldInput)input!;
                var auc = fold.Trainer == "Linear" ? 0.80 + 0.01 * fold.Fold : 0.70;
                return Task.FromResult(new FoldResult(fold.Trainer, fold.Fold, 57, 28, new() { ["f1"] = auc }, 0.1));
            });
        Returns(ActivityNames.TrainModel, new TrainOutcome("LightGbm", "sha", 1.5, 70, 0));
        Returns(ActivityNames.EvaluateModel, new EvaluationOutcome(new() { ["accuracy"] = 0.8 }, [new CriterionResult("accuracy", 0.7, 0.8, true)], new GateDecision(true, "no champion yet", "f1", 0.8, null, null), new Dictionary<string, double>()));
        Returns(ActivityNames.RegisterModel, 3);
        Returns(ActivityNames.PromoteModel, true);
    }

    [Fact]
    public async Task RunAsync_ValidData_RunsEveryStageInOrderAndSucceeds()
    {
        SetupHappyPath();

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(
            [ActivityNames.ValidateDataset, ActivityNames.SplitDataset, .. Enumerable.Repeat(ActivityNames.EvaluateFold, 6), ActivityNames.TrainModel, ActivityNames.EvaluateModel, ActivityNames.RegisterModel, ActivityNames.PromoteModel, ActivityNames.RecordRun],
            _calls);
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(3, result.Version);
        Assert.True(result.Champion);
        Assert.Equal(0.8, result.Metrics!["accuracy"]);
        Assert.Equal("f1", result.PrimaryMetric);
        Assert.True(Assert.Single(result.Criteria!).Passed);
        Assert.Equal(5, result.Data!.Duplicates);
        Assert.Equal("run-1", result.RunId);
        _context.Verify(c => c.CallActivityAsync<TrainOutcome>(It.IsAny<TaskName>(), It.Is<TrainInput>(t => t.Trainer == "Linear" && t.Run.RunId == "run-1" && t.Run.Spec!.Seed == 7), It.IsAny<TaskOptions?>()));
        Assert.Equal("Linear", result.Selection!.Winner);
        Assert.Equal(0.81, result.Selection.Trainers.Single(t => t.Trainer == "Linear").Metrics["f1"].Mean, 10);
        Assert.Equal(0.01, result.Selection.Trainers.Single(t => t.Trainer == "Linear").Metrics["f1"].Std, 10);
    }

    [Fact]
    public async Task RunAsync_RejectedData_QuarantinesAndRegistersNothing()
    {
        var anomaly = Anomaly.Error(AnomalyCodes.MissingLabel, "class", "no label");
        Returns(ActivityNames.ValidateDataset, new ValidationOutcome(false, null, null, null, 0, null, null, [anomaly, Anomaly.Warning("ColumnIgnored", "id", "ignored")]));

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal([ActivityNames.ValidateDataset, ActivityNames.QuarantineDataset, ActivityNames.RecordRun], _calls);
        Assert.Equal(RunStatus.Rejected, result.Status);
        Assert.Null(result.Version);
        Assert.Equal(2, result.Anomalies!.Count);
        Assert.Equal("MissingLabelColumn: no label", result.Message);
    }

    [Fact]
    public async Task RunAsync_ActivityFails_EndsFailedWithMessageAndRecordsRun()
    {
        SetupHappyPath();
        _context.Setup(c => c.CallActivityAsync<TrainOutcome>(It.Is<TaskName>(n => n.Name == ActivityNames.TrainModel), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ThrowsAsync(new TaskFailedException(ActivityNames.TrainModel, 3, new TaskFailureDetails("InvalidOperationException", "out of memory", null, null, null)));

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("TrainModel failed: out of memory", result.Message);
        Assert.DoesNotContain(ActivityNames.RegisterModel, _calls);
        Assert.Equal(ActivityNames.RecordRun, _calls[^1]);
    }

    [Fact]
    public async Task RunAsync_UnexpectedException_EndsFailedWithMessageAndRecordsRun()
    {
        SetupHappyPath();
        _context.Setup(c => c.CallActivityAsync<SplitOutcome>(It.Is<TaskName>(n => n.Name == ActivityNames.SplitDataset), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ThrowsAsync(new InvalidOperationException("folds out of range"));

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("InvalidOperationException: folds out of range", result.Message);
        _context.Verify(c => c.CallActivityAsync(It.Is<TaskName>(n => n.Name == ActivityNames.RecordRun), It.Is<RunResult>(r => r.Status == RunStatus.Failed), It.IsAny<TaskOptions?>()));
    }

    [Fact]
    public async Task RunAsync_RecordRunFailsAfterPromotion_RunStaysSucceededAndSaysWhatWasNotRecorded()
    {
        SetupHappyPath();
        _context.Setup(c => c.CallActivityAsync(It.Is<TaskName>(n => n.Name == ActivityNames.RecordRun), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .ThrowsAsync(new TaskFailedException(ActivityNames.RecordRun, 9, new TaskFailureDetails("Azure.RequestFailedException", "Status: 409 (Conflict)", null, null, null)));

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.True(result.Champion);
        Assert.Equal("the run could not be recorded in the runs table: Status: 409 (Conflict)", result.Message);
    }

    [Theory]
    [InlineData("System.IO.IOException", "disk hiccup", true)]
    [InlineData("System.TimeoutException", "slow", true)]
    [InlineData("Azure.RequestFailedException", "Service request failed.\nStatus: 503 (Server Busy)", true)]
    [InlineData("Azure.RequestFailedException", "Service request failed.\nStatus: 429 (Too Many Requests)", true)]
    [InlineData("Azure.RequestFailedException", "Service request failed.\nStatus: 404 (The specified blob does not exist.)", false)]
    [InlineData("System.InvalidOperationException", "Tuning scores trials on the validation split: set split.validation > 0.", false)]
    [InlineData("MlLifecycle.Core.Data.DataValidationException", "bad data", false)]
    [InlineData("System.IO.FileNotFoundException", "no such file", false)]
    public void IsTransient_ByTypeAndStorageStatus(string type, string message, bool transient) =>
        Assert.Equal(transient, ActivityRetry.IsTransient(new TaskFailureDetails(type, message.Replace("\\n", "\n", StringComparison.Ordinal), null, null, null)));

    [Fact]
    public void IsTransient_WrappedTransientFailure_IsTransient() =>
        Assert.True(ActivityRetry.IsTransient(new TaskFailureDetails("System.AggregateException", "one or more", null, new TaskFailureDetails("System.Net.Http.HttpRequestException", "refused", null, null, null), null)));

    private void FoldsFail(Func<FoldInput, bool> fails) =>
        _context.Setup(c => c.CallActivityAsync<FoldResult>(It.Is<TaskName>(n => n.Name == ActivityNames.EvaluateFold), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((_, input, _) =>
            {
                var fold = (FoldInput)input!;
                return Task.FromResult(fails(fold)
                    ? new FoldResult(fold.Trainer, fold.Fold, 57, 28, [], 0.1, "InvalidOperationException: weights diverged")
                    : new FoldResult(fold.Trainer, fold.Fold, 57, 28, new() { ["f1"] = fold.Trainer == "Linear" ? 0.9 : 0.7 }, 0.1));
            });

    [Fact]
    public async Task RunAsync_TrainerFailsOnOneFold_IsLeftOutAndTheOtherWins()
    {
        SetupHappyPath();
        FoldsFail(f => f.Trainer == "Linear" && f.Fold == 1);

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal("LightGbm", result.Selection!.Winner);
        Assert.Equal("fold 1: InvalidOperationException: weights diverged", result.Selection.Trainers.Single(t => t.Trainer == "Linear").Error);
        Assert.Null(result.Selection.Trainers.Single(t => t.Trainer == "LightGbm").Error);
        _context.Verify(c => c.CallActivityAsync<TrainOutcome>(It.IsAny<TaskName>(), It.Is<TrainInput>(t => t.Trainer == "LightGbm"), It.IsAny<TaskOptions?>()));
    }

    [Fact]
    public async Task RunAsync_EveryTrainerFails_EndsFailedNamingEachAndRegistersNothing()
    {
        SetupHappyPath();
        FoldsFail(f => f.Fold == 0);

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(
            "no candidate trainer trained on every fold: LightGbm: fold 0: InvalidOperationException: weights diverged; Linear: fold 0: InvalidOperationException: weights diverged",
            result.Message);
        Assert.DoesNotContain(ActivityNames.TrainModel, _calls);
        Assert.DoesNotContain(ActivityNames.RegisterModel, _calls);
        Assert.Equal(ActivityNames.RecordRun, _calls[^1]);
    }

    [Fact]
    public async Task TuningRunAsync_EveryTrialFails_KeepsTheDefaultsAndSaysSo()
    {
        _context.Setup(c => c.CallActivityAsync<TrialRecord>(It.Is<TaskName>(n => n.Name == ActivityNames.RunTrial), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((_, input, _) => Task.FromResult(new TrialRecord(((TrialInput)input!).Trial, double.MinValue, [], 0.1, "InvalidOperationException: weights diverged")));
        var input = new TuningInput(new RunContext("run-1", "credit", "credit/data.csv", null), "Linear", "f1", 7, new TuningSpec { Strategy = TuningStrategy.Random, MaxTrials = 4 });

        var result = await new TuningOrchestration().RunAsync(_context.Object, new TuningState(input, [], Start));

        Assert.Equal(4, result!.Trials);
        Assert.Null(result.BestOptions);
        Assert.Equal("trial budget spent; no trial could be trained, defaults kept", result.StopReason);
    }

    [Fact]
    public async Task RunAsync_GateFails_RegistersButDoesNotPromote()
    {
        SetupHappyPath();
        Returns(ActivityNames.EvaluateModel, new EvaluationOutcome(new() { ["f1"] = 0.6 }, [], new GateDecision(false, "f1 0.6 vs champion 0.7", "f1", 0.6, 0.7, 1), new Dictionary<string, double>()));
        Returns(ActivityNames.PromoteModel, false);

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        _context.Verify(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n.Name == ActivityNames.PromoteModel), It.Is<PromoteInput>(p => !p.GatePassed), It.IsAny<TaskOptions?>()));
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.False(result.Champion);
        Assert.False(result.Gate!.Passed);
    }

    [Fact]
    public async Task RunAsync_UsesOnlyContextTime()
    {
        SetupHappyPath();

        var result = await new TrainingOrchestration().RunAsync(_context.Object, Request);

        Assert.Equal(Start, result.StartedAt.UtcDateTime);
        Assert.Equal(Start, result.FinishedAt.UtcDateTime);
    }
}

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
}
