using MlLifecycle.Core.Experiments;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;

namespace MlLifecycle.Workflows;

/// <summary>
/// What a champion/challenger traffic split earned, read from the prediction log: each arm's outcomes from feedback
/// (<see cref="Outcome.Of"/>) and the challenger's predictions. Only requests the split routed count, each to the arm
/// and version that answered it, so both arms saw the same inputs. Shared by the A/B test and the closed loop's canary.
/// </summary>
/// <param name="Regression">The model predicts values (outcomes are −absolute errors), not classes.</param>
/// <param name="ChallengerRequests">Requests the split sent to the challenger's version, answered or failed.</param>
/// <param name="ChallengerErrors">Those it failed (the champion answered them), and the first failure's error.</param>
public sealed record SplitOutcomes(RunningStats Champion, RunningStats Challenger, IReadOnlyList<Prediction> ChallengerPredictions, bool Regression, long ChallengerRequests, long ChallengerErrors, string? ChallengerError)
{
    public static async Task<SplitOutcomes> ReadAsync(InferenceLogStore log, string model, DateTimeOffset since, DateTimeOffset until, int championVersion, int challengerVersion, CancellationToken ct = default)
    {
        RunningStats champion = default, challenger = default;
        List<Prediction> challengerPredictions = [];
        var regression = false;
        long requests = 0, errors = 0;
        string? error = null;
        foreach (var (prediction, actuals) in await log.ReadWindowAsync(model, since, until, ct))
        {
            if (prediction.Variant == MonitorOrchestration.Challenger && prediction.Failure?.Version == challengerVersion)
            {
                (requests, errors, error) = (requests + 1, errors + 1, error ?? prediction.Failure.Error);
            }

            var isChampion = prediction.Variant == ModelRegistry.Champion && prediction.Version == championVersion;
            var isChallenger = prediction.Variant == MonitorOrchestration.Challenger && prediction.Version == challengerVersion;
            if (isChallenger)
            {
                requests++;
                challengerPredictions.AddRange(prediction.Predictions);
            }

            foreach (var (predicted, actual) in prediction.Predictions.Zip(actuals ?? []))
            {
                regression = predicted.Score is not null;
                if (Outcome.Of(predicted, actual) is { } outcome)
                {
                    champion = isChampion ? champion.Add(outcome) : champion;
                    challenger = isChallenger ? challenger.Add(outcome) : challenger;
                }
            }
        }

        return new SplitOutcomes(champion, challenger, challengerPredictions, regression, requests, errors, error);
    }
}
