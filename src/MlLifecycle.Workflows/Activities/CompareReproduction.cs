using System.Globalization;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows.Activities;

/// <summary>The <see cref="ActivityNames.CompareReproduction"/> activity.</summary>
public sealed class CompareReproduction(ArtifactStore store, ModelRegistry registry)
{
    /// <summary>
    /// Compares a reproduction run with the version it re-ran: the data's SHA-256, the served model's and the evaluated
    /// model's bytes (SHA-256), and every test metric, exactly. Registers nothing.
    /// </summary>
    public async Task<ReproductionOutcome> RunAsync(ReproduceInput input)
    {
        var run = input.Run;
        var original = await registry.GetVersionAsync(run.Model, input.Version)
            ?? throw new InvalidOperationException($"{run.Model} v{input.Version} no longer exists.");
        var evaluated = ArtifactStore.Sha256(await store.ReadAsync(ArtifactStore.Artifacts, run.ModelBlob));
        var served = input.Refit ? ArtifactStore.Sha256(await store.ReadAsync(ArtifactStore.Artifacts, run.RefitModelBlob)) : evaluated;
        List<string> differences = [];
        var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, run.SpecBlob);
        if (ValidationPlan.SplitByEarlierRule(original.Split, spec))
        {
            // Not a failure to reproduce: today's split puts other rows in each part, so no byte can match.
            differences.Add($"v{input.Version} was split by the earlier rule ('{original.Split}': a hash of each row's text); this code splits by the rows' typed values ('{ValidationPlan.DescribeSplit(spec)}'), so the parts hold other rows and the models cannot be compared byte for byte. Retrain to get a version this code reproduces");
            return new ReproductionOutcome(input.Version, false, differences, served, original.CodeVersion, LifecycleInfo.CodeVersion);
        }

        Compare("data SHA-256", original.DataSha256, input.DataSha256);
        Compare("served model SHA-256", original.ArtifactSha256, served);
        Compare("evaluated model SHA-256", original.EvaluatedSha256 ?? original.ArtifactSha256, evaluated);
        foreach (var metric in original.Metrics.Keys.Union(input.Test.Keys).Order(StringComparer.Ordinal))
        {
            var (was, now) = (original.Metrics.GetValueOrDefault(metric, double.NaN), input.Test.GetValueOrDefault(metric, double.NaN));
            if (!was.Equals(now))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"test {metric}: {was:R} in v{input.Version}, {now:R} now"));
            }
        }

        return new ReproductionOutcome(input.Version, differences.Count == 0, differences, served, original.CodeVersion, LifecycleInfo.CodeVersion);

        void Compare(string what, string was, string now)
        {
            if (!string.Equals(was, now, StringComparison.Ordinal))
            {
                differences.Add($"{what}: {was} in v{input.Version}, {now} now");
            }
        }
    }
}
