using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using MlLifecycle.Core;
using MlLifecycle.Core.Data;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Batch scoring over HTTP, shared by both hosts: start a job on a CSV in Blob storage, and follow it.</summary>
public sealed partial class BatchApi(ArtifactStore store, ModelRegistry registry, BatchStarter starter)
{
    /// <summary>
    /// <c>POST /api/models/{model}/batch</c> with <c>{"input": "{container}/{blob}.csv", "alias"?, "version"?}</c> → 202
    /// <c>{jobId, statusUrl, model, version, output}</c>. The version (given, or the alias's — default champion — now) is
    /// pinned for the whole job. The same input version and model version give the same job (idempotent). 400 for an
    /// invalid field, 404 for an unknown model, alias, version or input blob.
    /// </summary>
    public async Task<IResult> StartAsync(string model, HttpRequest request, DurableTaskClient client)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """a JSON object such as {"input": "scoring/credit/applicants.csv"}""");
        if (problem is not null)
        {
            return problem;
        }

        if (!body.TryGetProperty("input", out var inputField) || inputField.ValueKind != JsonValueKind.String)
        {
            return Problems.BadRequest("Field 'input' is required: the CSV to score as '{container}/{blob}', e.g. 'scoring/credit/applicants.csv'.", "input");
        }

        var input = inputField.GetString()!;
        if (BlobPath().Match(input) is not { Success: true } path || !ArtifactStore.IsPlainBlobName(path.Groups["blob"].Value))
        {
            return Problems.BadRequest($"Field 'input' is a blob as '{{container}}/{{blob}}', e.g. 'scoring/credit/applicants.csv'; '{input}' is not. Local files are uploaded first (or scored with the CLI's predict).", "input");
        }

        if (TableReader.FormatOf(input) is null)
        {
            return Problems.BadRequest($"Field 'input' names '{input}', which is not a file to score: {string.Join(", ", TableReader.Extensions)}.", "input");
        }

        string? alias = null;
        if (body.TryGetProperty("alias", out var aliasField) && aliasField.ValueKind != JsonValueKind.Null)
        {
            if (aliasField.ValueKind != JsonValueKind.String || aliasField.GetString() is not { Length: > 0 } named)
            {
                return Problems.BadRequest("Field 'alias' must be an alias name such as 'champion'.", "alias");
            }

            alias = named;
        }

        int? version = null;
        if (body.TryGetProperty("version", out var versionField) && versionField.ValueKind != JsonValueKind.Null)
        {
            if (versionField.ValueKind != JsonValueKind.Number || !versionField.TryGetInt32(out var number))
            {
                return Problems.BadRequest("Field 'version' must be a version number.", "version");
            }

            version = number;
        }

        if (alias is not null && version is not null)
        {
            return Problems.BadRequest("Give 'alias' or 'version', not both.", "version");
        }

        if (await registry.FindVersionAsync(model, alias, version, ct) is not { } pinned)
        {
            return Problems.NotFound(await registry.DescribeMissingAsync(model, alias, version, ct));
        }

        var properties = await store.TryGetPropertiesAsync(path.Groups["container"].Value, path.Groups["blob"].Value, ct);
        if (properties is null)
        {
            return Problems.NotFound($"Input blob '{input}' does not exist. Upload it first.");
        }

        var batch = new BatchRequest(model, input, properties.ETag.ToString(), pinned.Version, version is null ? alias ?? ModelRegistry.Champion : null);
        var jobId = await starter.StartAsync(client, RunIds.ForBatch(batch), batch, ct);
        var statusUrl = $"/api/batch/{jobId}";
        var job = new BatchJob(jobId, batch);
        return new HeaderResult(
            Results.Json(new { jobId, statusUrl, model, version = pinned.Version, output = job.Output }, LifecycleJson.Options, statusCode: StatusCodes.Status202Accepted),
            "Location",
            statusUrl);
    }

    /// <summary><c>GET /api/batch/{jobId}</c>: status, progress (chunks and rows scored), the output blob when done, the error when failed.</summary>
    public async Task<IResult> GetAsync(string jobId, DurableTaskClient client, CancellationToken ct) =>
        await BatchView.GetAsync(client, jobId, ct) is { } view
            ? Results.Json(view, LifecycleJson.Options)
            : Problems.NotFound($"Batch job '{jobId}' does not exist.");

    /// <summary>A container name (3–63 lowercase letters, digits, single hyphens) and a blob name.</summary>
    [GeneratedRegex("^(?<container>[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})/(?<blob>[^\\\\]+)$")]
    private static partial Regex BlobPath();
}
