using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Workflows;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// Durable activities are at-least-once, so each must leave the same blobs and table rows however often it runs. The
/// same training run (cross-validation fan-out, a tuning sub-orchestration, ensemble selection, register and promote)
/// runs on three task hubs of its own (the split is salted by the model's name, so the name must be the same): plainly;
/// with every activity body run twice; and with every activity throwing a transient error after its work, so the retry
/// policy runs it again. Every blob and row the run wrote must be the same in all three, once times, durations and the
/// ids of deployment-history rows are set aside.
/// </summary>
public sealed partial class ExactlyOnceTests(ITestOutputHelper output)
{
    private const string Model = "exact";
    private const string RunId = "exact-run";
    private const string Spec = """{"label": "y", "seed": 5, "validation": {"folds": 3, "trainers": ["LightGbm", "Linear"]}, "tuning": {"strategy": "random", "maxTrials": 2, "maxConcurrency": 2, "maxResource": 30}}""";

    private static readonly byte[] Data = TuningTests.ClassificationCsv(240, 21);

    [Fact]
    public async Task ActivitiesRunTwice_OrRetriedAfterTheirWork_LeaveTheStateOfOneRun()
    {
        var states = await Task.WhenAll(RunAsync(null), RunAsync(false), RunAsync(true));
        var (once, twice, thrown) = (states[0], states[1], states[2]);

        output.WriteLine($"{once.Count} blobs and rows:\n{string.Join("\n", once.Keys)}");
        output.WriteLine($"run twice:\n{string.Join("\n", Differences(once, twice))}\nretried:\n{string.Join("\n", Differences(once, thrown))}");
        Assert.True(once.Count >= 30, $"{once.Count} blobs and rows");
        Assert.Contains("row models/exact/000001", once.Keys);
        Assert.Contains("row aliases/exact/~history-2", once.Keys);
        Assert.Empty(Differences(once, twice));
        Assert.Empty(Differences(once, thrown));
    }

    /// <summary>Runs the training on a fresh task hub, activities repeated as asked (null: not at all); returns its state.</summary>
    private static async Task<SortedDictionary<string, string>> RunAsync(bool? throwAfter)
    {
        var engine = new OrchestrationFixture();
        await engine.InitializeAsync();
        try
        {
            if (throwAfter is { } mode)
            {
                engine.Probe.Repeat(RunId, mode);
            }

            var result = await engine.RunAsync(RunId, Model, Data, Spec);
            Assert.Equal((RunStatus.Succeeded, (int?)1), (result.Status, result.Version));
            var register = engine.Probe.Inputs(RunId, ActivityNames.RegisterModel).Count;
            Assert.Equal(throwAfter is true ? 2 : 1, register);
            return await StateAsync(engine.Platform.StorageConnectionString);
        }
        finally
        {
            await engine.DisposeAsync();
        }
    }

    /// <summary>Entries present in one state and not the other, or with other content.</summary>
    private static List<string> Differences(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual) =>
        [.. expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: {Shorten(expected.GetValueOrDefault(k))} ≠ {Shorten(actual.GetValueOrDefault(k))}")];

    /// <summary>Every blob and table row outside the Durable task hub's own, with its content.</summary>
    private static async Task<SortedDictionary<string, string>> StateAsync(string storage)
    {
        SortedDictionary<string, string> state = new(StringComparer.Ordinal);
        var blobs = new BlobServiceClient(storage);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            if (container.Name.StartsWith(DurableEngineOptions.TaskHub, StringComparison.Ordinal))
            {
                continue;
            }

            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync())
            {
                state[$"blob {container.Name}/{blob.Name}"] = Describe((await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray());
            }
        }

        var tables = new TableServiceClient(storage);
        await foreach (var table in tables.QueryAsync())
        {
            if (table.Name.StartsWith(DurableEngineOptions.TaskHub, StringComparison.OrdinalIgnoreCase) || table.Name == ActivityAttempts.TableName)
            {
                continue;
            }

            List<(string Time, string Key, string Fields)> history = [];
            await foreach (var row in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                var fields = string.Join("; ", row.Where(f => f.Key is not ("odata.etag" or "Timestamp" or "PartitionKey" or "RowKey" or "Executions") && !Volatile().IsMatch(f.Key))
                    .OrderBy(f => f.Key, StringComparer.Ordinal)
                    .Select(f => $"{f.Key}={(f.Value is string text && text.TrimStart().StartsWith('{') ? Describe(Encoding.UTF8.GetBytes(text)) : f.Value)}"));
                if (row.RowKey.StartsWith("~history-", StringComparison.Ordinal))
                {
                    history.Add((row.RowKey.Split('-')[1], $"row {table.Name}/{row.PartitionKey}/~history", fields));
                }
                else
                {
                    state[$"row {table.Name}/{row.PartitionKey}/{row.RowKey}"] = fields;
                }
            }

            // A deployment-history row's key is its time (newest first) and a GUID: its place and content must match,
            // and changes made at one instant are ordered by content. A trial row's Executions counts deliveries on purpose.
            foreach (var (entry, i) in history.OrderBy(h => h.Time, StringComparer.Ordinal).ThenBy(h => h.Fields, StringComparer.Ordinal).Select((h, i) => (h, i)))
            {
                state[$"{entry.Key}-{i + 1}"] = entry.Fields;
            }
        }

        return state;
    }

    /// <summary>JSON without times and durations; other content by SHA-256.</summary>
    private static string Describe(byte[] content)
    {
        if (content.Length > 0 && content[0] is (byte)'{' or (byte)'[')
        {
            try
            {
                var json = JsonNode.Parse(content)!;
                Strip(json);
                return json.ToJsonString();
            }
            catch (JsonException)
            {
                // Not JSON after all: compared by hash.
            }
        }

        return $"{content.Length} bytes, SHA-256 {Convert.ToHexStringLower(SHA256.HashData(content))}";
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).Where(k => Volatile().IsMatch(k)).ToList())
                {
                    obj.Remove(key);
                }

                foreach (var child in obj.Select(p => p.Value).ToList())
                {
                    Strip(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Strip(child);
                }

                break;
        }
    }

    private static string Shorten(string? text) => text is null ? "(none)" : text.Length > 3000 ? text[..3000] + "…" : text;

    /// <summary>Fields that hold a time or a duration, which differ between any two runs.</summary>
    [GeneratedRegex("(At|Time|Seconds|Ms|Duration|Elapsed|Started|Finished|Created|Updated)$", RegexOptions.IgnoreCase)]
    private static partial Regex Volatile();
}
