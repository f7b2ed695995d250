using System.Globalization;
using System.Text;
using Microsoft.DurableTask.Client;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using static MlLifecycle.Workflows.ActivityNames;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// <see cref="TrainingOrchestration"/> and its tuning sub-orchestration on the real Durable engine (history, replay,
/// fan-out, sub-orchestrations) with the real activities on datasets of tens of rows. One activity of one run is
/// substituted only to inject a failure the data cannot cause.
/// </summary>
public sealed class TrainingOrchestrationTests(OrchestrationFixture engine) : IClassFixture<OrchestrationFixture>
{
    /// <summary>Two candidates × three folds, one fold activity at a time.</summary>
    private const string TwoTrainersThreeFolds = """{"label": "y", "seed": 7, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"], "maxConcurrency": 1}}""";

    private const string OneTrainerTwoFolds = """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["Linear"]}}""";

    private static readonly byte[] Classification = TuningTests.ClassificationCsv(120, 11);

    /// <summary>A feature beyond float's range: every row's value is ±∞ to the trainers.</summary>
    private static byte[] FeatureBeyondFloatCsv()
    {
        var random = new Random(5);
        var text = new StringBuilder("a,b,y\n");
        for (var i = 0; i < 60; i++)
        {
            var a = random.NextDouble();
            text.Append(CultureInfo.InvariantCulture, $"{a:F4},{(random.NextDouble() - 0.5) * 1e300:E6},{(a + 0.3 * random.NextDouble() > 0.6 ? "yes" : "no")}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task RunAsync_DatasetWithErrors_IsRejectedListingTheErrors_QuarantinedAndNothingRegistered()
    {
        var rows = Enumerable.Range(0, 40).Select(i => $"{(i == 17 ? "seventeen" : i)},{(i == 3 ? "NaN" : i % 7)},{(i % 2 == 0 ? "a" : "b")}\n");
        var csv = Encoding.UTF8.GetBytes("x,z,y\n" + string.Concat(rows));

        var result = await engine.RunAsync("rejected-1", "rejected", csv, """{"label": "y"}""");

        Assert.Equal(RunStatus.Rejected, result.Status);
        Assert.Equal(
            [(AnomalyCodes.TypeMismatch, "x", Severity.Error), (AnomalyCodes.NonFiniteValue, "z", Severity.Error), (AnomalyCodes.ColumnIgnored, "x", Severity.Warning)],
            result.Anomalies!.Select(a => (a.Code, a.Column, a.Severity)));
        Assert.Equal(
            "TypeMismatch: Column 'x' is numeric but 1 values are not numbers (e.g. 'seventeen' in row 18); declare it categorical in the spec's columns if that is intended.; "
            + "NonFiniteValue: Column 'z' has 1 NaN or infinite values; leave missing cells empty or write NA.",
            result.Message);
        Assert.Null(result.Version);
        Assert.Equal([ValidateDataset, QuarantineDataset, RecordRun], await engine.ScheduledAsync("rejected-1"));
        Assert.Equal(csv, (await engine.Store.ReadAsync(ArtifactStore.Quarantine, "rejected/data.csv")).ToArray());
        Assert.Contains("\"rejected-1\"", (await engine.Store.ReadAsync(ArtifactStore.Quarantine, "rejected/data.csv.reason.json")).ToString(), StringComparison.Ordinal);
        Assert.Empty(await engine.Registry.ListVersionsAsync("rejected"));
        var row = Assert.Single(await engine.Registry.ListRunsAsync("rejected"));
        Assert.Equal((RunStatus.Rejected, result.Message, (int?)null), (row.Status, row.Message, row.Version));
    }

    [Fact]
    public async Task RunAsync_EveryCandidateFailsOnAFold_FailsListingEachFailure_RecordsTheRunAndRegistersNothing()
    {
        var result = await engine.RunAsync("nofit-1", "nofit", FeatureBeyondFloatCsv(), """{"label": "y", "validation": {"folds": 2, "trainers": ["Linear", "FastTree"]}}""");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(
            "no candidate trainer trained on every fold: FastTree: fold 0: InvalidOperationException: All instances skipped due to missing features.; "
            + "Linear: fold 0: InvalidOperationException: No valid training instances found, all instances have missing features.",
            result.Message);
        Assert.Null(result.Version);
        Assert.Equal([ValidateDataset, SplitDataset, .. Enumerable.Repeat(EvaluateFold, 4), RecordRun], await engine.ScheduledAsync("nofit-1"));
        Assert.Equal(4, (await engine.Registry.ListTrialsAsync("nofit-1")).Count(f => f.Error is not null));
        Assert.Empty(await engine.Registry.ListVersionsAsync("nofit"));
        var row = Assert.Single(await engine.Registry.ListRunsAsync("nofit"));
        Assert.Equal((RunStatus.Failed, result.Message), (row.Status, row.Message));
    }

    [Fact]
    public async Task RunAsync_GatePasses_RegistersAndPromotes_WithFoldActivitiesCappedAtMaxConcurrency()
    {
        Assert.True(Environment.ProcessorCount >= 2, "the worker runs ProcessorCount activities at once: the cap of 1 shows only with 2 or more");

        var result = await engine.RunAsync("pass-1", "pass", Classification, TwoTrainersThreeFolds);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(1, result.Version);
        Assert.True(result.Champion);
        Assert.True(result.Gate!.Passed);
        Assert.Equal("no champion yet", result.Gate.Reason);
        Assert.Equal(1, engine.Probe.MostRunning("pass-1", EvaluateFold));
        Assert.Equal(6, engine.Probe.Completed("pass-1", EvaluateFold));
        Assert.Equal(
            [ValidateDataset, SplitDataset, .. Enumerable.Repeat(EvaluateFold, 6), SelectEnsemble, TrainModel, EvaluateModel, RefitModel, RegisterModel, PromoteModel, RecordRun],
            await engine.ScheduledAsync("pass-1"));
        var metric = result.PrimaryMetric!;
        var folds = await engine.Registry.ListTrialsAsync("pass-1");
        Assert.Equal(6, folds.Count);
        Assert.All(result.Selection!.Trainers, t => Assert.Equal(folds.Where(f => f.Trainer == t.Trainer).Average(f => f.Metrics[metric]), t.Metrics[metric].Mean, 12));
        Assert.Equal(result.Selection.Trainers.MaxBy(t => t.Metrics[metric].Mean)!.Trainer, result.Selection.Winner);
        // Served: the cross-validation winner, or the ensemble when it cross-validated better (its own test covers that).
        var ensemble = result.Ensemble!.Chosen;
        var train = Assert.IsType<TrainInput>(Assert.Single(engine.Probe.Inputs("pass-1", TrainModel)));
        Assert.Equal(ensemble ? [.. result.Ensemble.Members.Select(m => m.Name)] : [result.Selection.Winner], train.Members?.Select(m => m.Name).ToList() ?? [train.Trainer]);
        Assert.Equal(1, await engine.Registry.ResolveAliasAsync("pass", ModelRegistry.Champion));
        var version = await engine.Registry.GetVersionAsync("pass", 1);
        Assert.Equal(("pass-1", ensemble ? TrainedModel.EnsembleTrainer : result.Selection.Winner, true), (version!.RunId, version.Trainer, version.Gate!.Passed));
        var row = Assert.Single(await engine.Registry.ListRunsAsync("pass"));
        Assert.Equal((RunStatus.Succeeded, (int?)1, (string?)null), (row.Status, row.Version, row.Message));
        Assert.Equal(result.Metrics, row.Metrics);
    }

    /// <summary>
    /// y = 5·x₁ + 2·sin(3·x₂) + noise on 240 rows: the linear model gets the trend and misses the wave, the trees get the
    /// wave and cut the trend into steps. Each candidate's out-of-fold predictions are stored per fold and cover every
    /// cross-validated row once; the greedy selection over them blends the two, which cross-validates better than
    /// either, so the served model is that ensemble, trained member by member on every row, with its weights in the
    /// manifest and the registry naming it.
    /// </summary>
    [Fact]
    public async Task RunAsync_CandidatesThatErrDifferently_ServeTheirCrossValidatedEnsemble()
    {
        var random = new Random(21);
        var csv = new StringBuilder("x1,x2,y\n");
        for (var i = 0; i < 240; i++)
        {
            double x1 = random.NextDouble() * 10, x2 = random.NextDouble() * 6;
            csv.Append(CultureInfo.InvariantCulture, $"{x1:F4},{x2:F4},{20 * x1 + 2 * Math.Sin(3 * x2) + random.NextDouble():F4}\n");
        }

        var result = await engine.RunAsync("ensemble-1", "ensemble", Encoding.UTF8.GetBytes(csv.ToString()), """{"label": "y", "seed": 7, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}}""");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var input = Assert.IsType<EnsembleInput>(Assert.Single(engine.Probe.Inputs("ensemble-1", SelectEnsemble)));
        Assert.Equal(["LightGbm", "Linear"], input.Candidates.Select(c => c.Name));
        var run = new RunContext("ensemble-1", "ensemble", "ensemble/data.csv", null);
        var plan = await engine.Store.ReadJsonAsync<Core.Validation.ValidationPlan>(ArtifactStore.Artifacts, run.SplitBlob);
        foreach (var candidate in input.Candidates)
        {
            var parts = await Task.WhenAll(Enumerable.Range(0, candidate.Folds).Select(async f => OutOfFoldPredictions.FromBinary(await engine.Store.ReadAsync(ArtifactStore.Artifacts, run.OutOfFoldBlob(candidate.Name, f)))));
            Assert.Equal(plan.Folds.Select(f => f.Validation), parts.Select(p => p.Rows));
            Assert.All(parts, p => Assert.All(p.Vectors, v => Assert.Single(v)));
        }

        var ensemble = result.Ensemble!;
        Assert.True(ensemble.Chosen, ensemble.Reason);
        Assert.True(ensemble.Score < ensemble.SingleScore, $"rmse of the ensemble {ensemble.Score} vs one model {ensemble.SingleScore}");
        Assert.Equal(plan.Split.Train.Length + plan.Split.Validation.Length, ensemble.Rows);
        Assert.Equal(["LightGbm", "Linear"], ensemble.Members.Select(m => m.Trainer));
        Assert.Equal(1, ensemble.Members.Sum(m => m.Weight), 12);

        var version = (await engine.Registry.GetVersionAsync("ensemble", 1))!;
        Assert.Equal(Core.Training.TrainedModel.EnsembleTrainer, version.Trainer);
        var manifest = System.Text.Json.JsonDocument.Parse((await engine.Store.ReadAsync(ArtifactStore.Artifacts, "ensemble/1/manifest.json")).ToString()).RootElement;
        Assert.Equal(ensemble.Members.Select(m => m.Weight), manifest.GetProperty("ensemble").GetProperty("members").EnumerateArray().Select(m => m.GetProperty("weight").GetDouble()));

        // The served ensemble equals its members with their weights, each trained on every row with the run's seed.
        var data = TableFile.Read((await engine.Store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
        var schema = await engine.Store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        var spec = await engine.Store.ReadJsonAsync<Core.Spec.ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
        var (rows, labels) = Core.Training.FeatureRows.FromTable(data, schema);
        var expected = Core.Training.TrainedModel.Ensemble([.. ensemble.Members.Select(m => (Core.Training.TrainedModel.Train(schema, rows, labels, spec.EffectiveSeed, spec, m.Trainer), m.Weight))]);
        var served = Core.Training.TrainedModel.Load((await engine.Store.ReadAsync(ArtifactStore.Artifacts, "ensemble/1/model.zip")).ToStream(), schema, version.Trainer);
        Assert.Equal(expected.Predict(rows).Select(p => p.Score), served.Predict(rows).Select(p => p.Score));

        // Turned off: no selection, no out-of-fold blobs, one model served.
        var off = await engine.RunAsync("ensemble-off-1", "ensemble-off", Encoding.UTF8.GetBytes(csv.ToString()), """{"label": "y", "seed": 7, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"], "ensemble": false}}""");
        Assert.Equal((RunStatus.Succeeded, (EnsembleOutcome?)null), (off.Status, off.Ensemble));
        Assert.DoesNotContain(SelectEnsemble, await engine.ScheduledAsync("ensemble-off-1"));
        Assert.Null(await engine.Store.TryReadAsync(ArtifactStore.Artifacts, new RunContext("ensemble-off-1", "ensemble-off", "", null).OutOfFoldBlob("LightGbm", 0)));
        Assert.Equal(off.Selection!.Winner, (await engine.Registry.GetVersionAsync("ensemble-off", 1))!.Trainer);
    }

    /// <summary>
    /// The served model is the evaluated configuration trained on every row; the evaluated model is kept and is what the
    /// gate scores when its version is the champion. Retraining the same data with another seed holds out the same test
    /// rows (the split hashes row content), so the gate's champion score is exactly v1's own test score: scoring the
    /// refit, or splitting by a seeded shuffle, would compare rows the champion trained on. A run split otherwise is
    /// not compared with the champion, and the gate says why.
    /// </summary>
    [Fact]
    public async Task RunAsync_Refit_ServesTheConfigurationTrainedOnEveryRow_AndTheGateScoresTheEvaluatedModel()
    {
        const string spec = """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "random", "maxTrials": 2, "maxResource": 30}}""";

        var first = await engine.RunAsync("refit-1", "refit", Classification, spec);
        var second = await engine.RunAsync("refit-2", "refit", Classification, spec.Replace("\"seed\": 7", "\"seed\": 8", StringComparison.Ordinal));
        var resplit = await engine.RunAsync("refit-3", "refit", Classification, spec.Replace("\"seed\": 7", "\"seed\": 7, \"split\": {\"train\": 0.6, \"validation\": 0.2, \"test\": 0.2}", StringComparison.Ordinal));
        var notRefit = await engine.RunAsync("norefit-1", "norefit", Classification, spec.Replace("\"seed\": 7", "\"seed\": 7, \"split\": {\"refit\": false}", StringComparison.Ordinal));

        Assert.Equal((RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded), (first.Status, second.Status, notRefit.Status));
        // The model to serve trains beside the evaluated one: both are scheduled before the evaluation.
        Assert.Equal([TrainModel, RefitModel, EvaluateModel, RegisterModel], (await engine.ScheduledAsync("refit-1")).Where(n => n is TrainModel or EvaluateModel or RefitModel or RegisterModel));
        // Tuning's trials are candidates of ensemble selection too, with the options they were scored with.
        var candidates = Assert.IsType<EnsembleInput>(Assert.Single(engine.Probe.Inputs("refit-1", SelectEnsemble))).Candidates;
        Assert.Equal(["LightGbm", "LightGbm-trial-0", "LightGbm-trial-1"], candidates.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Equal(first.Tuning!.Leaders.Select(l => LifecycleJson.Serialize(l.Options)), candidates.Where(c => c.Options is not null).Select(c => LifecycleJson.Serialize(c.Options)));
        Assert.False(first.Ensemble!.Chosen, first.Ensemble.Reason);
        var run = new RunContext("refit-1", "refit", "refit/data.csv", null);
        var data = TableFile.Read((await engine.Store.ReadAsync(ArtifactStore.Artifacts, run.DataBlob)).ToStream());
        Assert.Equal(data.RowCount, first.RefitRows);
        var version = (await engine.Registry.GetVersionAsync("refit", 1))!;
        var served = await engine.Store.ReadAsync(ArtifactStore.Artifacts, "refit/1/model.zip");
        var evaluated = await engine.Store.ReadAsync(ArtifactStore.Artifacts, $"refit/1/{ModelRegistry.EvaluatedModelFile}");
        Assert.Equal(await engine.Store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob), evaluated, BinaryDataComparer.Instance);
        Assert.Equal((ArtifactStore.Sha256(served), ArtifactStore.Sha256(evaluated)), (version.ArtifactSha256, version.EvaluatedSha256));

        // The served model equals the chosen trainer, with tuning's best options and the run's seed, trained on every row.
        var schema = await engine.Store.ReadJsonAsync<DatasetSchema>(ArtifactStore.Artifacts, run.SchemaBlob);
        var resolved = await engine.Store.ReadJsonAsync<Core.Spec.ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
        var (rows, labels) = Core.Training.FeatureRows.FromTable(data, schema);
        var expected = Core.Training.TrainedModel.Train(schema, rows, labels, resolved.EffectiveSeed, resolved, first.Selection!.Winner, hyperparameters: first.Tuning!.BestOptions);
        var model = Core.Training.TrainedModel.Load(served.ToStream(), schema, "served");
        Assert.Equal(LifecycleJson.Serialize(expected.Predict(rows)), LifecycleJson.Serialize(model.Predict(rows)));
        var evaluatedModel = Core.Training.TrainedModel.Load(evaluated.ToStream(), schema, "evaluated");
        Assert.NotEqual(LifecycleJson.Serialize(evaluatedModel.Predict(rows)), LifecycleJson.Serialize(model.Predict(rows)));

        // Same data, another seed: the same test rows, and the champion scored with the model that never saw them.
        var metric = second.PrimaryMetric!;
        Assert.Equal(first.Metrics![metric], second.Gate!.Champion);
        Assert.Equal(1, second.Gate.ChampionVersion);
        Assert.Equal("typed-hash 0.7/0.15", version.Split);
        Assert.Equal(
            $"champion v{resplit.Gate!.ChampionVersion} not compared: it was split 'typed-hash 0.7/0.15' and this run 'typed-hash 0.6/0.2', so it may have trained on this run's test rows",
            resplit.Gate.Reason);

        Assert.Null(notRefit.RefitRows);
        Assert.DoesNotContain(RefitModel, await engine.ScheduledAsync("norefit-1"));
        var plain = (await engine.Registry.GetVersionAsync("norefit", 1))!;
        Assert.Null(plain.EvaluatedSha256);
        Assert.Null(await engine.Store.TryReadAsync(ArtifactStore.Artifacts, $"norefit/1/{ModelRegistry.EvaluatedModelFile}"));
    }

    private sealed class BinaryDataComparer : IEqualityComparer<BinaryData>
    {
        public static readonly BinaryDataComparer Instance = new();

        public bool Equals(BinaryData? x, BinaryData? y) => x is not null && y is not null && x.ToMemory().Span.SequenceEqual(y.ToMemory().Span);

        public int GetHashCode(BinaryData obj) => obj.ToMemory().Length;
    }

    [Fact]
    public async Task RunAsync_GateFails_RegistersACandidate_NotPromoted()
    {
        var result = await engine.RunAsync("gate-1", "gate", Classification, """{"label": "y", "seed": 7, "successCriteria": {"accuracy": 1.01}, "validation": {"folds": 2, "trainers": ["Linear"]}}""");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(1, result.Version);
        Assert.False(result.Champion);
        Assert.False(result.Gate!.Passed);
        Assert.StartsWith("success criteria not met: accuracy ", result.Gate.Reason, StringComparison.Ordinal);
        Assert.Equal([ValidateDataset, SplitDataset, EvaluateFold, EvaluateFold, TrainModel, RefitModel, EvaluateModel, RegisterModel, PromoteModel, RecordRun], await engine.ScheduledAsync("gate-1"));
        Assert.False(Assert.IsType<PromoteInput>(Assert.Single(engine.Probe.Inputs("gate-1", PromoteModel))).GatePassed);
        var version = await engine.Registry.GetVersionAsync("gate", 1);
        Assert.Equal((VersionStatus.Registered, false, result.Gate.Reason), (version!.Status, version.Gate!.Passed, version.Gate.Reason));
        Assert.Empty(await engine.Registry.GetAliasesAsync("gate"));
        var row = Assert.Single(await engine.Registry.ListRunsAsync("gate"));
        Assert.Equal((RunStatus.Succeeded, (int?)1), (row.Status, row.Version));
    }

    [Fact]
    public async Task RunAsync_TuningEnabled_RunsTheTuningSubOrchestration_AndRefitsItsBestOptions()
    {
        var tuningId = RunIds.Tuning("tune-1");

        var result = await engine.RunAsync("tune-1", "tune", Classification, """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "random", "maxTrials": 3, "maxConcurrency": 1, "maxResource": 30}}""");
        var tuning = await engine.Client.GetInstanceAsync(tuningId, getInputsAndOutputs: true);
        var history = await DurableHistory.EventsAsync(engine.Platform.StorageConnectionString, "tune-1");
        var trials = await engine.Registry.ListTuningTrialsAsync("tune-1");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        var created = Assert.Single(history, e => e.GetString("EventType") == "SubOrchestrationInstanceCreated");
        Assert.Equal((ActivityNames.TuningOrchestration, tuningId), (created.GetString("Name"), created.GetString("InstanceId")));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, tuning!.RuntimeStatus);
        Assert.Equal(LifecycleJson.Serialize(tuning.ReadOutputAs<TuningResult>()), LifecycleJson.Serialize(result.Tuning));
        Assert.Equal((3, "trial budget spent"), (result.Tuning!.Trials, result.Tuning.StopReason));
        Assert.Equal([RunTrial, RunTrial, RunTrial], await engine.ScheduledAsync(tuningId));
        Assert.Equal(1, engine.Probe.MostRunning(tuningId, RunTrial));
        var best = trials.MaxBy(t => t.Score)!;
        Assert.Equal(best.Score, result.Tuning.BestScore);
        Assert.Equal(best.Options, result.Tuning.BestOptions!);
        var train = Assert.IsType<TrainInput>(Assert.Single(engine.Probe.Inputs("tune-1", TrainModel)));
        Assert.Equal(result.Tuning.BestOptions, train.Hyperparameters!);
        var replayed = await DurableReplay.ReplayTreeAsync(engine.Platform.StorageConnectionString, "tune-1", WorkflowRegistration.Tasks);
        Assert.Equal([ActivityNames.TrainingOrchestration, ActivityNames.TuningOrchestration], replayed.Select(r => r.Name));
    }

    [Fact]
    public async Task RunAsync_NoTuningTrialTrains_RefitsTheDefaultsAndSaysSo()
    {
        var result = await engine.RunAsync("tunefail-1", "tunefail", Classification, """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["LightGbm"]}, "tuning": {"strategy": "random", "maxTrials": 2, "space": {"numberOfLeaves": {"min": 1, "max": 1, "integer": true}}}}""");
        var trials = await engine.Registry.ListTuningTrialsAsync("tunefail-1");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal((2, (double?)null, "trial budget spent; no trial could be trained, defaults kept"), (result.Tuning!.Trials, result.Tuning.BestScore, result.Tuning.StopReason));
        Assert.Null(result.Tuning.BestOptions);
        Assert.Equal(2, trials.Count(t => t.Error is not null && t.Score is null));
        Assert.Null(Assert.IsType<TrainInput>(Assert.Single(engine.Probe.Inputs("tunefail-1", TrainModel))).Hyperparameters);
        Assert.Equal(1, result.Version);
    }

    [Theory]
    [InlineData(true, true, "approved by ann: looks right")]
    [InlineData(false, false, "not approved by ann: looks right")]
    public async Task RunAsync_RequireApproval_WaitsForTheDecision_ThenPromotesOrKeepsACandidate(bool approved, bool champion, string message)
    {
        var runId = $"approval-{approved}";
        var model = $"approval-{(approved ? "yes" : "no")}";
        await engine.StartRunAsync(runId, model, Classification, """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["Linear"]}, "deployment": {"requireApproval": true}}""");
        var waiting = await WaitForStageAsync(runId, "waiting for approval");
        var championWhileWaiting = await engine.Registry.ResolveAliasAsync(model, ModelRegistry.Champion);

        Assert.Null(await MlLifecycle.Api.RunApproval.SendAsync(engine.Client, runId, new ApprovalDecision(approved, "ann", "looks right")));
        var result = await engine.WaitForRunAsync(runId);

        Assert.StartsWith("waiting for approval of v1", waiting, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(champion, result.Champion);
        Assert.Equal(message, result.Message);
        Assert.Equal(champion ? 1 : null, await engine.Registry.ResolveAliasAsync(model, ModelRegistry.Champion));
        Assert.Equal(champion ? VersionStages.Approved : VersionStages.Candidate, (await engine.Registry.GetVersionAsync(model, 1))!.Stage);
        Assert.Null(championWhileWaiting);
        Assert.Contains("is not waiting for approval", await MlLifecycle.Api.RunApproval.SendAsync(engine.Client, runId, new ApprovalDecision(true, "bob")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NoApprovalInTime_KeepsACandidate()
    {
        var result = await engine.RunAsync("approval-late", "approval-late", Classification, """{"label": "y", "seed": 7, "validation": {"folds": 2, "trainers": ["Linear"]}, "deployment": {"requireApproval": true, "approvalTimeoutHours": 0.0005}}""");

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.False(result.Champion);
        Assert.Equal("not approved by timeout: no approval within 0.0005 h", result.Message);
        Assert.Null(await engine.Registry.ResolveAliasAsync("approval-late", ModelRegistry.Champion));
    }

    [Fact]
    public async Task RunAsync_QuarantineFails_TheRunIsStillRejectedWithItsAnomalies()
    {
        engine.Probe.Substitute("quarantine-1", QuarantineDataset, _ => throw new InvalidOperationException("quarantine is read-only"));
        var csv = Encoding.UTF8.GetBytes("x,y\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{(i == 5 ? "five" : i)},{i % 2}\n")));

        var result = await engine.RunAsync("quarantine-1", "quarantine", csv, """{"label": "y"}""");

        Assert.Equal(RunStatus.Rejected, result.Status);
        Assert.Contains(result.Anomalies!, a => a.Code == AnomalyCodes.TypeMismatch);
        Assert.EndsWith("; the quarantine copy failed: quarantine is read-only", result.Message, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Rejected, Assert.Single(await engine.Registry.ListRunsAsync("quarantine")).Status);
    }

    /// <summary>Polls a running run until its stage starts with <paramref name="stage"/>; returns the stage.</summary>
    private async Task<string> WaitForStageAsync(string runId, string stage)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await MlLifecycle.Api.RunView.GetAsync(engine.Client, runId) is { Stage: { } current } && current.StartsWith(stage, StringComparison.Ordinal))
            {
                return current;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId} did not reach '{stage}' within 60 s.");
    }

    [Fact]
    public async Task RunAsync_RecordRunFailsAfterPromotion_StaysSucceededAndPromoted_AndSaysTheRunWasNotRecorded()
    {
        engine.Probe.Substitute("unrecorded-1", RecordRun, _ => throw new InvalidOperationException("the runs table is read-only"));

        var result = await engine.RunAsync("unrecorded-1", "unrecorded", Classification, OneTrainerTwoFolds);

        Assert.Equal(RunStatus.Succeeded, result.Status);
        Assert.Equal(1, result.Version);
        Assert.True(result.Champion);
        Assert.Equal("the run could not be recorded in the runs table: the runs table is read-only", result.Message);
        Assert.Equal(1, await engine.Registry.ResolveAliasAsync("unrecorded", ModelRegistry.Champion));
        Assert.Empty(await engine.Registry.ListRunsAsync("unrecorded"));
        Assert.Equal([RegisterModel, PromoteModel, RecordRun], (await engine.ScheduledAsync("unrecorded-1")).TakeLast(3));
    }

    [Fact]
    public async Task RunAsync_StageThrows_FailsNamingTheStage_WithoutRetryingIt_AndRecordsTheRun()
    {
        engine.Probe.Substitute("trainfail-1", TrainModel, _ => throw new InvalidOperationException("the model could not be written"));

        var result = await engine.RunAsync("trainfail-1", "trainfail", Classification, OneTrainerTwoFolds);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("TrainModel failed: the model could not be written", result.Message);
        Assert.Null(result.Version);
        // The refit beside the failed training is waited for, so nothing of the run goes on after it ends.
        Assert.Equal([ValidateDataset, SplitDataset, EvaluateFold, EvaluateFold, TrainModel, RefitModel, RecordRun], await engine.ScheduledAsync("trainfail-1"));
        Assert.Equal(1, engine.Probe.Completed("trainfail-1", RefitModel));
        Assert.Empty(await engine.Registry.ListVersionsAsync("trainfail"));
        var row = Assert.Single(await engine.Registry.ListRunsAsync("trainfail"));
        Assert.Equal((RunStatus.Failed, result.Message), (row.Status, row.Message));
    }

    [Fact]
    public async Task RunAsync_StageResultUnreadable_FailsWithTheExceptionInTheOrchestrator_AndRecordsTheRun()
    {
        engine.Probe.Substitute("unreadable-1", SplitDataset, _ => Task.FromResult<object?>("not a split"));

        var result = await engine.RunAsync("unreadable-1", "unreadable", Classification, OneTrainerTwoFolds);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.StartsWith("JsonException: The JSON value could not be converted to MlLifecycle.Workflows.SplitOutcome.", result.Message, StringComparison.Ordinal);
        Assert.Equal([ValidateDataset, SplitDataset, RecordRun], await engine.ScheduledAsync("unreadable-1"));
        var row = Assert.Single(await engine.Registry.ListRunsAsync("unreadable"));
        Assert.Equal((RunStatus.Failed, result.Message), (row.Status, row.Message));
    }

    [Fact]
    public async Task RunAsync_WorkerRestartedMidCrossValidation_ReplaysToTheSameResult_WithoutReschedulingFinishedFolds()
    {
        var spec = TwoTrainersThreeFolds.Replace("\"seed\": 7", "\"seed\": 7, \"split\": {\"salt\": \"same rows\"}", StringComparison.Ordinal); // two models, one split
        var straight = await engine.RunAsync("straight-1", "straight", Classification, spec);
        await engine.StartRunAsync("restarted-1", "restarted", Classification, spec);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (engine.Probe.Completed("restarted-1", EvaluateFold) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var episodesBefore = engine.Probe.Episodes("restarted-1");
        var foldsBefore = engine.Probe.Completed("restarted-1", EvaluateFold);
        var restartedAt = DateTimeOffset.UtcNow;
        await engine.RestartWorkerAsync();
        var restarted = await engine.WaitForRunAsync("restarted-1");

        Assert.InRange(foldsBefore, 2, 5);
        Assert.True(engine.Probe.Episodes("restarted-1") > episodesBefore, "the new worker replays the run's history");
        Assert.Equal(Normalized(straight), Normalized(restarted));
        Assert.InRange(restartedAt, restarted.StartedAt, restarted.FinishedAt); // the start time replays from the history
        Assert.Equal(6, (await engine.ScheduledAsync("restarted-1")).Count(name => name == EvaluateFold));
        Assert.Equal(6, (await engine.Registry.ListTrialsAsync("restarted-1")).Count);

        static string Normalized(RunResult r) => LifecycleJson.Serialize(r with { RunId = "", Model = "", Dataset = "", StartedAt = default, FinishedAt = default });
    }
}
