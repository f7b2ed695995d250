using MlLifecycle.Bench;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The scale-out suite of <c>bench/run.sh</c> at a tiny size: two <c>serve</c> processes on one task hub run a tuning
/// job and a batch job's fan-out; every trial and every chunk runs exactly once, and both hosts do some of the work.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ScaleOutTests(ITestOutputHelper log)
{
    [Fact]
    public async Task TwoHostsOnOneTaskHub_ShareTheWork_AndNoTrialOrChunkRunsTwice()
    {
        using var output = new StringWriter();
        var rounds = await ScaleOutBench.RunAsync([2], trials: 6, chunks: 64, output);
        log.WriteLine(output.ToString());

        var round = Assert.Single(rounds);
        Assert.Equal([1, 1, 1, 1, 1, 1], round.TrialExecutions); // the trials table counts each trial's executions
        Assert.Equal(6, round.Ran("RunTrial")); // and the hosts ran RunTrial 6 times between them
        Assert.Equal(64, round.Ran("ScoreBatchChunk"));
        Assert.Equal(2, round.Work.Count);
        Assert.All(round.Work, w => Assert.True(w.Total > 0, $"host {w.Host} ran no activity"));
        Assert.All(round.Work, w => Assert.Equal(0, w.ExitCode)); // SIGTERM: a clean stop
        Assert.Empty(round.Problems());
    }

    [Fact]
    public void Problems_NameATrialRunTwice_AChunkMissing_AnIdleHost_AndAnUncleanStop()
    {
        var round = new ScaleOutRound(
            2,
            1,
            1,
            Trials: 3,
            TrialExecutions: [1, 2, 1],
            Chunks: 4,
            Work: [new HostWork(1, new Dictionary<string, long> { ["RunTrial"] = 4, ["ScoreBatchChunk"] = 3 }, 137), new HostWork(2, new Dictionary<string, long>(), 0)]);

        var problems = round.Problems().ToList();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("trial executions [1, 2, 1]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("RunTrial ran 4 times for 3 trials", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("ScoreBatchChunk ran 3 times for 4 chunks", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("host 2 ran no activity", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("host 1 exited 137", StringComparison.Ordinal));
    }
}
