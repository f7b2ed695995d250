using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using MlLifecycle.Core;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Storage;

/// <summary>One logged prediction request: who answered, the rows' cells (in <paramref name="Features"/> order) and the answers.</summary>
public sealed record LoggedPrediction(string RequestId, DateTimeOffset At, int Version, string? Alias, string? Variant, IReadOnlyList<string> Features, IReadOnlyList<string?[]> Rows, IReadOnlyList<Prediction> Predictions)
{
    /// <summary>The version the traffic split chose and why it could not answer (the champion answered instead); null when it answered.</summary>
    public VariantFailure? Failure { get; init; }
}

/// <summary>A traffic split's variant that failed a request: its version and the error.</summary>
public sealed record VariantFailure(int Version, string Error);

/// <summary>Ground truth for a logged prediction: one value, or one per row of a multi-row request.</summary>
public sealed record LoggedFeedback(string RequestId, JsonElement Actual, DateTimeOffset At);

/// <summary>A logged prediction with the ground truth fed back for it, one actual per row (null: none yet).</summary>
public sealed record LabelledPrediction(LoggedPrediction Prediction, IReadOnlyList<JsonElement>? Actuals);

/// <summary>
/// The <c>inference-log</c> container: JSON lines in append blobs, partitioned by model and hour,
/// <c>{model}/{yyyy}/{MM}/{dd}/{HH}/{kind}-{writer}.jsonl</c>, one blob per writing process so appends never contend.
/// A window of hours is read by listing each hour's folder. Kinds: <see cref="Predictions"/> and <see cref="Feedback"/>
/// (feedback is filed under the hour of the prediction it answers, so a window joins within itself).
/// </summary>
public sealed class InferenceLogStore(BlobServiceClient service)
{
    public const string Predictions = "predictions";
    public const string Feedback = "feedback";

    /// <summary>Largest append block (Azure's limit is 4 MiB).</summary>
    private const int MaxBlock = 4 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, bool> _created = new(StringComparer.Ordinal);

    private BlobContainerClient Container => service.GetBlobContainerClient(ArtifactStore.InferenceLog);

    public static string HourFolder(string model, DateTimeOffset hour) =>
        $"{model}/{hour.UtcDateTime.ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture)}";

    /// <summary>Appends lines to this writer's blob of a model, kind and hour (created on first use).</summary>
    public async Task AppendAsync(string model, string kind, DateTimeOffset hour, string writer, IReadOnlyList<string> lines, CancellationToken ct = default)
    {
        var blob = Container.GetAppendBlobClient($"{HourFolder(model, hour)}/{kind}-{writer}.jsonl");
        if (!_created.ContainsKey(blob.Name))
        {
            await blob.CreateIfNotExistsAsync(cancellationToken: ct);
            _created[blob.Name] = true;
        }

        var block = new StringBuilder();
        foreach (var line in lines)
        {
            if (block.Length > 0 && block.Length + line.Length + 1 > MaxBlock / 4)
            {
                await AppendBlockAsync(blob, block, ct);
            }

            block.Append(line).Append('\n');
        }

        await AppendBlockAsync(blob, block, ct);
    }

    /// <summary>Lines of a kind for the hours from <paramref name="from"/> to <paramref name="to"/> (both included), oldest hour first.</summary>
    public async IAsyncEnumerable<string> ReadAsync(string model, string kind, DateTimeOffset from, DateTimeOffset to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        for (var hour = Truncate(from); hour <= to; hour = hour.AddHours(1))
        {
            await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{HourFolder(model, hour)}/{kind}-" }, ct))
            {
                var content = await Container.GetBlobClient(item.Name).DownloadContentAsync(ct);
                foreach (var line in content.Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    yield return line;
                }
            }
        }
    }

    /// <summary>
    /// The predictions logged from <paramref name="from"/> (included) to <paramref name="to"/> (excluded), each with the
    /// feedback given for it (the latest, when a request got several). Feedback is filed under its prediction's hour,
    /// so it is found whenever it was given.
    /// </summary>
    public async Task<IReadOnlyList<LabelledPrediction>> ReadWindowAsync(string model, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        Dictionary<string, LoggedPrediction> predictions = new(StringComparer.Ordinal);
        var last = to.AddTicks(-1);
        await foreach (var line in ReadAsync(model, Predictions, from, last, ct))
        {
            var record = LifecycleJson.Deserialize<LoggedPrediction>(line);
            if (record.At >= from && record.At < to)
            {
                predictions[record.RequestId] = record;
            }
        }

        Dictionary<string, LoggedFeedback> latest = new(StringComparer.Ordinal);
        await foreach (var line in ReadAsync(model, Feedback, from, last, ct))
        {
            var feedback = LifecycleJson.Deserialize<LoggedFeedback>(line);
            if (predictions.ContainsKey(feedback.RequestId) && (!latest.TryGetValue(feedback.RequestId, out var seen) || feedback.At >= seen.At))
            {
                latest[feedback.RequestId] = feedback; // a correction wins, whichever writer's blob holds it
            }
        }

        return [.. predictions.Values.OrderBy(p => p.At).Select(p => new LabelledPrediction(p, latest.TryGetValue(p.RequestId, out var f) ? Actuals(f.Actual) : null))];
    }

    private static IReadOnlyList<JsonElement> Actuals(JsonElement actual) =>
        actual.ValueKind == JsonValueKind.Array ? [.. actual.EnumerateArray()] : [actual];

    public static DateTimeOffset Truncate(DateTimeOffset at) => new(at.Year, at.Month, at.Day, at.Hour, 0, 0, at.Offset);

    private static async Task AppendBlockAsync(AppendBlobClient blob, StringBuilder block, CancellationToken ct)
    {
        if (block.Length == 0)
        {
            return;
        }

        await blob.AppendBlockAsync(BinaryData.FromString(block.ToString()).ToStream(), cancellationToken: ct);
        block.Clear();
    }
}
