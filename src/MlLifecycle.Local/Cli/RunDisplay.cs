using MlLifecycle.Api;
using MlLifecycle.Workflows;
using Spectre.Console;

namespace MlLifecycle.Local.Cli;

/// <summary>
/// A training run followed on stderr as a live display (Spectre.Console): a bar for the run's steps and, for each
/// stage with work items, a bar of them — cross-validation folds scored, tuning trials run with the best score so far.
/// Used when stderr is a terminal; elsewhere (CI logs, pipes) the run is followed as plain lines by <see cref="Follow"/>.
/// </summary>
internal sealed class RunDisplay(ProgressContext progress, int width)
{
    private readonly ProgressTask run = progress.AddTask("starting", maxValue: 1);
    private readonly Dictionary<int, ProgressTask> stages = [];

    /// <summary>Whether to draw live: stderr is a terminal that takes ANSI codes.</summary>
    public static bool Live => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    /// <summary>The console the display draws on: stderr, so stdout stays the command's result.</summary>
    public static IAnsiConsole Stderr() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs <paramref name="follow"/> (which calls <see cref="Show"/> with each new state) inside a live display on <paramref name="console"/>.</summary>
    public static Task<RunView> FollowAsync(IAnsiConsole console, string runId, Func<Action<RunView>, Task<RunView>> follow)
    {
        console.MarkupLine($"following run [bold]{Markup.Escape(runId)}[/]");
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var display = new RunDisplay(context, console.Profile.Width);
                var view = await follow(display.Show);
                display.Show(view);
                return view;
            });
    }

    /// <summary>Moves the bars to <paramref name="view"/>.</summary>
    public void Show(RunView view)
    {
        if (view.Steps is { } steps && view.Step is { } step)
        {
            run.MaxValue = steps;
            run.Value = step;
            run.Description = Fit($"[{step}/{steps}] {(view.Total is null ? view.Stage : StageName(view.Stage))}");
            if (step > TrainingOrchestration.CrossValidationStep && stages.TryGetValue(TrainingOrchestration.CrossValidationStep, out var folds))
            {
                folds.Value = folds.MaxValue; // the run moves on only when every fold is scored
            }

            if (view.Total is { } total)
            {
                if (!stages.TryGetValue(step, out var stage))
                {
                    foreach (var earlier in stages.Values)
                    {
                        earlier.StopTask();
                    }

                    stages[step] = stage = progress.AddTask(Fit(view.Stage), maxValue: Math.Max(1, total));
                }

                stage.Description = Fit(view.Stage);
                stage.Value = view.Done ?? 0;
            }
        }

        if (view.IsFinished)
        {
            run.Description = Fit($"{view.Status}{(view.Version is { } v ? $": {view.Model} v{v}" : "")}");
            run.Value = view.Status == RunStatus.Succeeded ? run.MaxValue : run.Value; // a failed run's bar stays where it stopped
            if (view.Tuning is { } tuning && stages.TryGetValue(TrainingOrchestration.TuningStep, out var trials))
            {
                trials.Value = tuning.Trials; // the last trials may finish between two polls
                trials.Description = Fit($"tuned ({tuning.Strategy}): {tuning.Trials} trials{(tuning.BestScore is { } best ? $", best {best:F4}" : "")}");
            }

            foreach (var task in stages.Values.Append(run))
            {
                task.StopTask();
            }
        }
    }

    /// <summary>Escaped, and cut to the room the bars leave on one line.</summary>
    private string Fit(string? text)
    {
        text ??= "";
        var room = Math.Max(20, width - 36);
        return Markup.Escape(text.Length <= room ? text : string.Concat(text.AsSpan(0, room - 1), "…"));
    }

    /// <summary>The stage without its counts ("tuning Linear (Tpe): 3/8 trials, best 0.71" → "tuning Linear (Tpe)").</summary>
    private static string? StageName(string? stage) => stage?.Split(": ")[0];
}
