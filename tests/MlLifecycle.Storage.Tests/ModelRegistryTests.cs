using Azure;

namespace MlLifecycle.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public class ModelRegistryTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly ModelRegistry _registry = azurite.Registry;

    private static string NewModel() => "m-" + Guid.NewGuid().ToString("N")[..12];

    private static ModelVersion Version(string model, int version, string runId) =>
        new(model, version, VersionStatus.Registered, runId, "BinaryClassification", "y", "LightGbm", new Dictionary<string, double> { ["auc"] = 0.9 }, "abc", "def", "m/x.csv", 10, 42, "test", Now);

    [Fact]
    public async Task ReserveVersion_ConcurrentRuns_GetDistinctConsecutiveNumbers()
    {
        var model = NewModel();

        var versions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => _registry.ReserveVersionAsync(model, $"run-{i}", Now)));

        Assert.Equal(Enumerable.Range(1, 12), versions.Order());
    }

    [Fact]
    public async Task ReserveVersion_SameRunTwice_ReturnsSameVersion()
    {
        var model = NewModel();
        var first = await _registry.ReserveVersionAsync(model, "run-a", Now);
        await _registry.ReserveVersionAsync(model, "run-b", Now);

        var again = await _registry.ReserveVersionAsync(model, "run-a", Now);

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task PendingVersion_IsNotListedUntilCompleted()
    {
        var model = NewModel();
        var version = await _registry.ReserveVersionAsync(model, "run-1", Now);

        Assert.Empty(await _registry.ListVersionsAsync(model));
        Assert.Null(await _registry.GetVersionAsync(model, version));
        Assert.DoesNotContain(model, await _registry.ListModelsAsync());

        await _registry.CompleteVersionAsync(Version(model, version, "run-1"));

        var listed = Assert.Single(await _registry.ListVersionsAsync(model));
        Assert.Equal(0.9, listed.Metrics["auc"]);
        Assert.Equal("abc", listed.ArtifactSha256);
        Assert.Contains(model, await _registry.ListModelsAsync());
    }

    [Fact]
    public async Task CompleteVersion_ByAnotherRun_IsRefused()
    {
        var model = NewModel();
        var version = await _registry.ReserveVersionAsync(model, "run-1", Now);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _registry.CompleteVersionAsync(Version(model, version, "run-2")));
        Assert.Empty(await _registry.ListVersionsAsync(model));
    }

    [Fact]
    public async Task TryCreateAlias_OnlyFirstWins()
    {
        var model = NewModel();

        Assert.True(await _registry.TryCreateAliasAsync(model, "champion", 1, Now));
        Assert.False(await _registry.TryCreateAliasAsync(model, "champion", 2, Now));
        Assert.Equal(1, await _registry.ResolveAliasAsync(model, "champion"));
    }

    [Fact]
    public async Task SetAliasThenRollback_RestoresPreviousVersion()
    {
        var model = NewModel();
        await _registry.SetAliasAsync(model, "champion", 1, Now);
        await _registry.SetAliasAsync(model, "champion", 3, Now);

        var restored = await _registry.RollbackAliasAsync(model, "champion", Now);

        Assert.Equal(1, restored);
        Assert.Equal(1, await _registry.ResolveAliasAsync(model, "champion"));
    }

    [Fact]
    public async Task SetAlias_SameVersionTwice_KeepsTheRollbackTarget()
    {
        var model = NewModel();
        await _registry.SetAliasAsync(model, "champion", 1, Now);
        await _registry.SetAliasAsync(model, "champion", 2, Now);
        await _registry.SetAliasAsync(model, "champion", 2, Now);

        Assert.Equal(1, await _registry.RollbackAliasAsync(model, "champion", Now));
    }

    [Fact]
    public async Task TryMoveAlias_OnlyFromTheExpectedVersion()
    {
        var model = NewModel();

        Assert.True(await _registry.TryMoveAliasAsync(model, "champion", 1, expected: null, Now));
        Assert.False(await _registry.TryMoveAliasAsync(model, "champion", 3, expected: null, Now)); // a gate that saw no champion
        Assert.True(await _registry.TryMoveAliasAsync(model, "champion", 2, expected: 1, Now));
        Assert.False(await _registry.TryMoveAliasAsync(model, "champion", 3, expected: 1, Now)); // champion moved to 2 meanwhile
        Assert.True(await _registry.TryMoveAliasAsync(model, "champion", 2, expected: 1, Now)); // repeat of a move that happened
        Assert.Equal(2, await _registry.ResolveAliasAsync(model, "champion"));
        Assert.Equal(1, await _registry.RollbackAliasAsync(model, "champion", Now));
    }

    [Fact]
    public async Task TryRemoveAlias_OnlyFromTheExpectedVersion_AndRecordsIt()
    {
        var model = NewModel();
        await _registry.SetAliasAsync(model, "challenger", 2, Now);
        await _registry.SetAliasAsync(model, "champion", 1, Now);

        Assert.False(await _registry.TryRemoveAliasAsync(model, "challenger", 3, new Actor("monitor", "canary over"), Now)); // points elsewhere: kept
        Assert.True(await _registry.TryRemoveAliasAsync(model, "challenger", 2, new Actor("monitor", "canary over"), Now));
        Assert.True(await _registry.TryRemoveAliasAsync(model, "challenger", 2, new Actor("monitor", "canary over"), Now)); // a repeat finds it gone

        Assert.Equal(new Dictionary<string, int> { ["champion"] = 1 }, await _registry.GetAliasesAsync(model));
        var removed = Assert.Single(await _registry.ListHistoryAsync(model), h => h.Action == DeploymentActions.Remove);
        Assert.Equal(("challenger", (int?)2, (int?)null, "monitor"), (removed.Alias, removed.From, removed.To, removed.By));
    }

    [Fact]
    public async Task Rollback_WithoutHistory_Throws()
    {
        var model = NewModel();
        await _registry.SetAliasAsync(model, "champion", 1, Now);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _registry.RollbackAliasAsync(model, "champion", Now));
    }

    /// <summary>
    /// 32 moves of one alias at once, 20 rounds, each to a version of its own: the moves are one chain (each replaced
    /// exactly the version the one before it set), every successful move is in the history, and the alias ends where
    /// the chain ends.
    /// </summary>
    [Fact]
    public async Task MoveAlias_32ConcurrentMovesFor20Rounds_HistoryIsOneChainOfEverySuccessfulMove()
    {
        var model = NewModel();
        List<AliasMove> moves = [];

        for (var round = 0; round < 20; round++)
        {
            var r = round;
            moves.AddRange(await Task.WhenAll(Enumerable.Range(1, 32).Select(i =>
                _registry.MoveAliasAsync(model, "champion", (r * 32) + i, AliasGuard.None, new Actor($"user-{i}", $"round {r}"), Now.AddSeconds(r)))));
        }

        var history = await _registry.ListHistoryAsync(model);
        var byFrom = history.ToDictionary(c => c.From ?? 0);
        List<int> chain = [];
        for (var from = 0; byFrom.TryGetValue(from, out var next); from = next.To!.Value)
        {
            chain.Add(next.To!.Value);
        }

        Assert.Equal(640, moves.Count(m => m.Outcome == AliasMoveOutcome.Moved));
        Assert.Equal(640, history.Count);
        Assert.Equal(640, chain.Count);
        Assert.Equal(Enumerable.Range(1, 640), chain.Order());
        Assert.All(history, c => Assert.Equal(DeploymentActions.Move, c.Action));
        var aliases = await _registry.GetAliasesAsync(model);
        Assert.Equal(chain[^1], Assert.Single(aliases).Value);
        Assert.Equal("champion", aliases.Single().Key);
    }

    [Fact]
    public async Task MoveAlias_WithAStaleETag_ConflictsAndWritesNothing()
    {
        var model = NewModel();
        var first = await _registry.MoveAliasAsync(model, "staging", 1, AliasGuard.None, new Actor("ann", "first"), Now);
        await _registry.MoveAliasAsync(model, "staging", 2, AliasGuard.IfMatch(first.State!.ETag), new Actor("bob", "second"), Now.AddSeconds(1));

        var stale = await _registry.MoveAliasAsync(model, "staging", 3, AliasGuard.IfMatch(first.State!.ETag), new Actor("cat", "late"), Now.AddSeconds(2));

        Assert.Equal(AliasMoveOutcome.Conflict, stale.Outcome);
        Assert.Equal(2, stale.State!.Version);
        var history = await _registry.ListHistoryAsync(model);
        Assert.Equal([("bob", "second", 1, 2), ("ann", "first", 0, 1)], history.Select(c => (c.By, c.Reason!, c.From ?? 0, c.To!.Value)));
    }

    [Fact]
    public async Task Traffic_SetReadAndClear_IsKeptApartFromAliasesAndRecorded()
    {
        var model = NewModel();
        await _registry.SetAliasAsync(model, "champion", 1, Now.AddSeconds(-2));
        await _registry.SetAliasAsync(model, "challenger", 2, Now.AddSeconds(-1));

        await _registry.SetTrafficAsync(model, new TrafficSplit(new Dictionary<string, int> { ["champion"] = 90, ["challenger"] = 10 }, Shadow: 3), new Actor("ann", "try v2"), Now);
        var routing = await _registry.GetRoutingAsync(model);
        await _registry.SetTrafficAsync(model, null, new Actor("ann", "done"), Now.AddMinutes(1));

        Assert.Equal(2, routing.Aliases.Count);
        Assert.Equal(90, routing.Traffic!.Weights["champion"]);
        Assert.Equal(3, routing.Traffic.Shadow);
        Assert.Null(await _registry.GetTrafficAsync(model));
        Assert.Equal(["traffic", "traffic", "move", "move"], (await _registry.ListHistoryAsync(model)).Select(c => c.Action));
    }

    [Fact]
    public async Task RecordRun_IsListedWithMetrics()
    {
        var model = NewModel();
        await _registry.RecordRunAsync(new RunRecord("run-9", model, "Rejected", $"{model}/x.csv", null, null, null, "EmptyFile: empty", Now, Now.AddSeconds(3)));

        var run = Assert.Single(await _registry.ListRunsAsync(model));

        Assert.Equal("Rejected", run.Status);
        Assert.Equal("EmptyFile: empty", run.Message);
        Assert.Equal(Now.AddSeconds(3), run.FinishedAt);
    }
}

[Collection(AzuriteCollection.Name)]
public class ArtifactStoreTests(AzuriteFixture azurite)
{
    private readonly ArtifactStore _store = azurite.Store;

    [Fact]
    public async Task Write_ReturnsSha256OfContent()
    {
        var sha = await _store.WriteAsync(ArtifactStore.Artifacts, "t/hash.txt", BinaryData.FromString("abc"));

        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha);
        Assert.Equal("abc", (await _store.ReadAsync(ArtifactStore.Artifacts, "t/hash.txt")).ToString());
    }

    [Fact]
    public async Task Quarantine_CopiesBlobAndWritesReason_KeepsTheUpload()
    {
        await _store.WriteAsync(ArtifactStore.Datasets, "q/bad.csv", BinaryData.FromString("garbage"));

        await _store.QuarantineAsync("q/bad.csv", null, new { code = "EmptyFile" });

        Assert.Equal("garbage", (await _store.ReadAsync(ArtifactStore.Datasets, "q/bad.csv")).ToString());
        Assert.Equal("garbage", (await _store.ReadAsync(ArtifactStore.Quarantine, "q/bad.csv")).ToString());
        Assert.Contains("EmptyFile", (await _store.ReadAsync(ArtifactStore.Quarantine, "q/bad.csv.reason.json")).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quarantine_OfAReplacedVersion_LeavesTheNewUploadInPlace()
    {
        var old = await _store.Blob(ArtifactStore.Datasets, "q/replaced.csv").UploadAsync(BinaryData.FromString("v1"));
        await _store.WriteAsync(ArtifactStore.Datasets, "q/replaced.csv", BinaryData.FromString("v2"));

        await _store.QuarantineAsync("q/replaced.csv", old.Value.ETag.ToString(), new { code = "EmptyFile" });

        Assert.Equal("v2", (await _store.ReadAsync(ArtifactStore.Datasets, "q/replaced.csv")).ToString());
        Assert.Null(await _store.TryReadAsync(ArtifactStore.Quarantine, "q/replaced.csv"));
        Assert.NotNull(await _store.TryReadAsync(ArtifactStore.Quarantine, "q/replaced.csv.reason.json"));
    }

    [Fact]
    public async Task TryRead_Missing_ReturnsNull()
    {
        Assert.Null(await _store.TryReadAsync(ArtifactStore.Artifacts, "nothing/here"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.ReadAsync(ArtifactStore.Artifacts, "nothing/here"));
    }
}
