using System.Globalization;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;
using MlLifecycle.Core.Experiments;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>One arm of the test: the alias, its version and its outcomes so far.</summary>
/// <param name="Mean">Mean outcome: accuracy for classification, the negative mean absolute error for regression.</param>
public sealed record ArmReport(string Alias, int Version, long Outcomes, double? Mean);

/// <summary>Where a champion-vs-challenger test stands, and what its decision did.</summary>
/// <param name="Outcome">What an outcome is: <c>correct</c> (1/0) or <c>negativeAbsoluteError</c>.</param>
/// <param name="Applied">What the decision did: nothing yet, reported, promoted the challenger, or ended the split.</param>
public sealed record ExperimentReport(
    string Model,
    DateTimeOffset StartedAt,
    string Outcome,
    ArmReport Champion,
    ArmReport Challenger,
    double Effect,
    double PValue,
    double? Lower,
    double? Upper,
    AbDecision Decision,
    ExperimentAction Action,
    string Applied);

/// <summary>
/// The A/B test of a traffic split between <c>champion</c> and <c>challenger</c>: joins feedback to the logged
/// predictions since the split was set, scores each fed-back row (correct or not; the negative absolute error for
/// regression), and runs the sequential test (<see cref="AbTest"/>: an always-valid p-value, so looking after every
/// batch of feedback is fine). The champion's spec (<c>deployment</c>) says what a decision does; the decision and
/// its effect are recorded in the deployment history. Evaluated on request and by the scheduled check.
/// </summary>
public sealed class ChallengerExperiment(ModelRegistry registry, ArtifactStore store, InferenceLogStore log, Deployments deployments, TimeProvider time, ILogger<ChallengerExperiment> logger)
{
    public const string Challenger = Workflows.MonitorOrchestration.Challenger;

    /// <summary>Evaluates the model's running test; null when no split between champion and challenger is set.</summary>
    public async Task<ExperimentReport?> EvaluateAsync(string model, CancellationToken ct = default)
    {
        var routing = await registry.GetRoutingAsync(model, ct);
        if (routing.Traffic is not { } traffic || traffic.Weights.GetValueOrDefault(ModelRegistry.Champion) <= 0 || traffic.Weights.GetValueOrDefault(Challenger) <= 0
            || !routing.Aliases.TryGetValue(ModelRegistry.Champion, out var championVersion) || !routing.Aliases.TryGetValue(Challenger, out var challengerVersion)
            || traffic.SetBy == Workflows.MonitorOrchestration.Actor)
        {
            return null;
        }

        var started = traffic.SetAt;
        var saved = await registry.GetExperimentStateAsync(model, ct) is { } json ? LifecycleJson.Deserialize<SavedState>(json) : null;
        var state = saved is not null && saved.StartedAt == started ? saved.Test : AbTest.Empty;
        var spec = (await store.TryReadAsync(ArtifactStore.Artifacts, $"{model}/{championVersion}/spec.json", ct)) is { } raw
            ? LifecycleJson.Deserialize<ProblemSpec>(raw.ToString()).EffectiveDeployment
            : new DeploymentSpec();
        var (champion, challenger, _, regression, _, _, _) = await Workflows.SplitOutcomes.ReadAsync(log, model, started, time.GetUtcNow().AddTicks(1), championVersion, challengerVersion, ct);

        // Every look recomputes the statistics on all outcomes since the start; the p-value's running minimum and a decision once made carry over.
        var test = (state.Decision == AbDecision.Continue ? AbTest.Empty with { PValue = state.PValue } : state)
            .Observe(champion, challenger, new AbTestOptions { Alpha = spec.ExperimentAlpha, MinSamplePerArm = spec.ExperimentMinSamplePerArm });
        var applied = saved?.Applied ?? "none";
        if (test.Decision != AbDecision.Continue && state.Decision == AbDecision.Continue)
        {
            applied = await ApplyAsync(model, test, spec.Experiment, challengerVersion, ct);
        }

        await registry.SetExperimentStateAsync(model, LifecycleJson.Serialize(new SavedState(started, test, applied), compact: true), ct);
        return new ExperimentReport(
            model,
            started,
            regression ? "negativeAbsoluteError" : "correct",
            new ArmReport(ModelRegistry.Champion, championVersion, champion.Count, champion.Count > 0 ? champion.Mean : null),
            new ArmReport(Challenger, challengerVersion, challenger.Count, challenger.Count > 0 ? challenger.Mean : null),
            test.Effect,
            test.PValue,
            test.Lower,
            test.Upper,
            test.Decision,
            spec.Experiment,
            applied);
    }

    /// <summary>Acts on a new decision as the spec says, and records it.</summary>
    private async Task<string> ApplyAsync(string model, AbTest test, ExperimentAction action, int challengerVersion, CancellationToken ct)
    {
        var actor = new Actor("ab-test", string.Create(CultureInfo.InvariantCulture, $"{test.Decision}: effect {test.Effect:G4}, always-valid p {test.PValue:G3}"));
        var applied = "reported";
        if (test.Decision == AbDecision.ChallengerBetter && action is ExperimentAction.Promote or ExperimentAction.Auto)
        {
            await deployments.MoveAliasAsync(model, ModelRegistry.Champion, challengerVersion, null, actor, ct);
            await deployments.SetTrafficAsync(model, new Dictionary<string, int>(), null, actor, ct);
            applied = $"promoted v{challengerVersion} to champion and ended the split";
        }
        else if (test.Decision == AbDecision.ChampionBetter && action is ExperimentAction.Rollback or ExperimentAction.Auto)
        {
            await deployments.SetTrafficAsync(model, new Dictionary<string, int>(), null, actor, ct);
            applied = "ended the split: all traffic back to the champion";
        }

        await registry.RecordAsync(new DeploymentChange(model, DeploymentActions.Experiment, Challenger, null, challengerVersion, actor.By, actor.Reason, time.GetUtcNow(), applied), ct);
        logger.LogInformation("A/B test of {Model}: {Decision}, {Applied}", model, test.Decision, applied);
        return applied;
    }

    private sealed record SavedState(DateTimeOffset StartedAt, AbTest Test, string Applied);
}
