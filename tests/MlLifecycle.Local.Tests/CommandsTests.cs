using MlLifecycle.Api;
using MlLifecycle.Core.Data;
using MlLifecycle.Local.Cli;
using MlLifecycle.Workflows;

namespace MlLifecycle.Local.Tests;

public class CommandsTests
{
    private static RunView Finished(string status, string? message, params Anomaly[] anomalies) =>
        new("run-1", status, null, null, null, "m", "m/data.csv", null, null, null, null, null, null, null, null, null, message, anomalies, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static (int ExitCode, string Output, string Error) Report(RunView run)
    {
        using StringWriter output = new(), error = new();
        Commands.PrintRun(run, output);
        var exitCode = Commands.ExitCode(run, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static int Occurrences(string text, string value) => text.Split(value).Length - 1;

    [Fact]
    public void PrintRunAndExitCode_RejectedRun_PrintEachReasonOnceAndOneErrorLine()
    {
        Anomaly[] anomalies =
        [
            Anomaly.Error(AnomalyCodes.MissingLabel, "nope", "The label column 'nope' is not in the file (columns: x, y)."),
            Anomaly.Error(AnomalyCodes.InvalidSpec, "split", "Invalid spec field 'split': the fractions must add up to 1."),
            Anomaly.Warning(AnomalyCodes.DuplicateRows, null, "3 rows are exact duplicates.", 3),
        ];
        var run = Finished(RunStatus.Rejected, string.Join("; ", anomalies.Take(2).Select(a => $"{a.Code}: {a.Message}")), anomalies);

        var (exitCode, output, error) = Report(run);

        Assert.Equal(1, exitCode);
        Assert.All(anomalies, a => Assert.Equal(1, Occurrences(output + error, a.Message)));
        var line = Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("error: run run-1 rejected the data (MissingLabelColumn, InvalidSpec)", line);
    }

    [Fact]
    public void PrintRunAndExitCode_FailedRun_PrintsTheMessageOnceAsTheErrorLine()
    {
        var run = Finished(RunStatus.Failed, "TrainModel failed: out of memory");

        var (exitCode, output, error) = Report(run);

        Assert.Equal(1, exitCode);
        Assert.Equal(0, Occurrences(output, "out of memory"));
        Assert.Equal($"error: TrainModel failed: out of memory{Environment.NewLine}", error);
    }

    [Fact]
    public void ExitCode_SucceededRun_ReturnsZeroAndWritesNothing()
    {
        using var error = new StringWriter();

        Assert.Equal(0, Commands.ExitCode(Finished(RunStatus.Succeeded, null), error));
        Assert.Empty(error.ToString());
    }
}
