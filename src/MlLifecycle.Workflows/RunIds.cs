using System.Security.Cryptography;
using System.Text;

namespace MlLifecycle.Workflows;

/// <summary>
/// Orchestration instance ids (no '/' allowed) derived from what started the run or job, so the same trigger twice
/// names the same run instead of starting a second one.
/// </summary>
public static class RunIds
{
    /// <summary>Run of a blob upload: one per blob version (name + ETag, with or without its quotes).</summary>
    public static string ForBlob(string blobName, string etag) => "blob-" + Hash(blobName, etag.Trim('"'));

    /// <summary>Run requested over HTTP: one per dataset version and spec.</summary>
    public static string ForRequest(TrainingRequest request, string etag) =>
        "api-" + Hash(request.Model, request.Dataset, etag.Trim('"'), request.Spec is null ? "" : Core.LifecycleJson.Serialize(request.Spec, compact: true));

    /// <summary>Batch job of an upload to <c>scoring/</c>: one per blob version.</summary>
    public static string ForScoringBlob(string blobName, string etag) => "batch-" + Hash("scoring", blobName, etag.Trim('"'));

    /// <summary>Batch job requested over HTTP: one per input version and model version (the same request twice is one job).</summary>
    public static string ForBatch(BatchRequest request) =>
        "batch-" + Hash(request.Model, request.Input, request.ETag?.Trim('"') ?? "", request.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", request.Alias ?? "");

    /// <summary>Reproduction of a version: one per dataset version and code version.</summary>
    public static string ForReproduction(string model, int version, string etag, string codeVersion) =>
        "repro-" + Hash(model, version.ToString(System.Globalization.CultureInfo.InvariantCulture), etag.Trim('"'), codeVersion);

    /// <summary>The tuning sub-orchestration of a run.</summary>
    public static string Tuning(string runId) => runId + "-tuning";

    private static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..24];
}
