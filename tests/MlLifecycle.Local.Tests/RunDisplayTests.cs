using MlLifecycle.Api;
using MlLifecycle.Local.Cli;
using Spectre.Console.Testing;

namespace MlLifecycle.Local.Tests;

/// <summary>The live display of a run: a bar of steps, and a bar of folds or trials for each stage that has them.</summary>
public class RunDisplayTests
{
    private static RunView View(string status, string? stage, int? step, int? done = null, int? total = null) =>
        new(
            "run-1", status, stage, step, step is null ? null : 7, "m", null, null, null, null, null, null, null, null, null, null, null, null,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)
        { Done = done, Total = total };

    [Fact]
    public async Task FollowAsync_DrawsAStepBarAndABarPerStageWithWorkItems_EndingComplete()
    {
        var console = new TestConsole().Width(160).Interactive();
        RunView[] states =
        [
            View("Running", "splitting train/validation/test and planning folds", 2),
            View("Running", "cross-validating 2 trainers × 3 folds (kfold): 0/6 scored", 3, 0, 6),
            View("Running", "cross-validating 2 trainers × 3 folds (kfold): 4/6 scored", 3, 4, 6),
            View("Running", "tuning Linear (Tpe): 2/8 trials, best 0.5012", 4, 2, 8), // the last two folds finished between polls
            View("Running", "tuning Linear (Tpe): 6/8 trials, best 0.6120", 4, 6, 8),
            View("Running", "evaluating on the test split", 5),
        ];

        var final = await RunDisplay.FollowAsync(console, "run-1", show =>
        {
            foreach (var state in states)
            {
                show(state);
            }

            return Task.FromResult(View("Succeeded", "Succeeded", 7) with { Version = 3, Tuning = new(Core.Spec.TuningStrategy.Tpe, 8, 8, null, 0.6213, "trial budget spent") });
        });

        Assert.Equal("Succeeded", final.Status);
        var lines = console.Output.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        var last = lines.TakeLast(3).ToList(); // the final frame: the run, its folds, its trials
        Assert.Matches(@"^Succeeded: m v3\s.*100%", last[0]);
        Assert.Matches(@"^cross-validating 2 trainers × 3 folds \(kfold\): 4/6 scored\s.*100%", last[1]); // the run moved on: every fold was scored
        Assert.Matches(@"^tuned \(Tpe\): 8 trials, best 0\.6213\s.*100%", last[2]); // from the run's result, not the last poll
        Assert.StartsWith("following run run-1", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FollowAsync_AStageStoppedShort_KeepsItsShare()
    {
        var console = new TestConsole().Width(160).Interactive();
        await RunDisplay.FollowAsync(console, "run-2", show =>
        {
            show(View("Running", "tuning Linear (Random): 3/8 trials, best 0.7", 4, 3, 8)); // a time budget ended it at 3
            return Task.FromResult(View("Failed", null, null));
        });

        Assert.Matches(@"tuning Linear \(Random\): 3/8 trials, best 0\.7\s.*3[78]%", console.Output);
        Assert.Matches(@"Failed\s.*57%", console.Output); // step 4 of 7: the bar stays where the run stopped
    }
}
