using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// What a storage account holds for the lifecycle — artifacts, datasets, predictions and registry rows — as comparable
/// text: JSON without times and durations, other blobs by SHA-256, deployment-history rows by place. Two accounts that
/// did the same work compare equal.
/// </summary>
public static partial class RegistryState
{
    /// <summary>Entries present in one state and not the other, or with other content.</summary>
    public static List<string> Differences(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual) =>
        [.. expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: {Shorten(expected.GetValueOrDefault(k))} ≠ {Shorten(actual.GetValueOrDefault(k))}")];

    /// <summary>
    /// Every blob and table row outside the Durable task hub's own (and the attempt log's and live hosts'), with its
    /// content; each of <paramref name="ids"/> (run and job ids that differ between two task hubs) is written <c>{id1}</c>, <c>{id2}</c>….
    /// </summary>
    public static async Task<SortedDictionary<string, string>> CaptureAsync(string storage, params string[] ids)
    {
        SortedDictionary<string, string> state = new(StringComparer.Ordinal);
        string Normalize(string text) => ids.Select((id, i) => (id, i)).Aggregate(text, (t, x) => t.Replace(x.id, $"{{id{x.i + 1}}}", StringComparison.Ordinal));
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
                state[Normalize($"blob {container.Name}/{blob.Name}")] = Normalize(Describe((await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray()));
            }
        }

        var tables = new TableServiceClient(storage);
        await foreach (var table in tables.QueryAsync())
        {
            if (table.Name.StartsWith(DurableEngineOptions.TaskHub, StringComparison.OrdinalIgnoreCase) || table.Name is ActivityAttempts.TableName or HostRegistry.Table)
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
                    history.Add((row.RowKey.Split('-')[1], Normalize($"row {table.Name}/{row.PartitionKey}/~history"), Normalize(fields)));
                }
                else
                {
                    state[Normalize($"row {table.Name}/{row.PartitionKey}/{row.RowKey}")] = Normalize(fields);
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
