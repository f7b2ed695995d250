using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core.Spec;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>Schedules training runs under deterministic ids: a trigger seen twice finds the run it already started.</summary>
public sealed class TrainingStarter(ILogger<TrainingStarter> logger)
{
    /// <summary>
    /// Starts the run of a blob upload to <c>datasets/{model}/</c> (blob trigger in both hosts): every file but the
    /// model's spec, so a file of another format is rejected with a reason and quarantined, not ignored. Null when the
    /// blob is the spec or not under a model's folder.
    /// </summary>
    public async Task<string?> StartForBlobAsync(DurableTaskClient client, string blobName, string etag, CancellationToken ct = default) =>
        StartOnce.ModelOf(blobName, file => file != LifecycleInfo.SpecFileName, logger) is { } model
            ? await StartAsync(client, RunIds.ForBlob(blobName, etag), new TrainingRequest(model, blobName, ETag: etag), ct)
            : null;

    /// <summary>
    /// Starts a run that trains <paramref name="model"/> v<paramref name="version"/> again from what its record names —
    /// the dataset blob (which must still hold the same bytes), the resolved spec and seed — and compares the model bytes
    /// and test metrics with it, registering nothing (<see cref="ReproductionOutcome"/>). The same request on the same
    /// data and code names the same run.
    /// </summary>
    /// <exception cref="ReproductionRefusedException">The version does not exist, or its data is gone or changed.</exception>
    public async Task<string> StartReproductionAsync(DurableTaskClient client, ArtifactStore store, ModelRegistry registry, string model, int version, CancellationToken ct = default)
    {
        var record = await registry.GetVersionAsync(model, version, ct)
            ?? throw new ReproductionRefusedException($"{model} v{version} does not exist.", notFound: true);
        // The version whose bytes are checked is the version the run reads: its ETag first, then exactly those bytes.
        var gone = $"{model} v{version} was trained on {ArtifactStore.Datasets}/{record.Dataset}, which no longer exists: upload the same file there to reproduce it.";
        var etag = (await store.TryGetPropertiesAsync(ArtifactStore.Datasets, record.Dataset, ct))?.ETag.ToString() ?? throw new ReproductionRefusedException(gone);
        var data = await store.TryReadAsync(ArtifactStore.Datasets, record.Dataset, etag, ct) ?? throw new ReproductionRefusedException(gone);
        if (ArtifactStore.Sha256(data) is var sha && sha != record.DataSha256)
        {
            throw new ReproductionRefusedException($"{ArtifactStore.Datasets}/{record.Dataset} has changed since {model} v{version} was trained on it (SHA-256 {record.DataSha256}, now {sha}): upload the same file there to reproduce it.");
        }

        var spec = await store.ReadJsonAsync<ProblemSpec>(ArtifactStore.Artifacts, $"{model}/{version}/spec.json", ct);
        var request = new TrainingRequest(model, record.Dataset, spec, etag, Promote: false, Reproduce: version);
        return await StartAsync(client, RunIds.ForReproduction(model, version, etag, LifecycleInfo.CodeVersion), request, ct);
    }

    public async Task<string> StartAsync(DurableTaskClient client, string runId, TrainingRequest request, CancellationToken ct = default)
    {
        if (await StartOnce.StartAsync(client, ActivityNames.TrainingOrchestration, runId, request, ct))
        {
            logger.LogInformation("Started run {RunId} for {Model} on {Dataset}", runId, request.Model, request.Dataset);
        }

        return runId;
    }
}

/// <summary>A version cannot be reproduced: it does not exist (<see cref="NotFound"/>), or its data is gone or changed.</summary>
public sealed class ReproductionRefusedException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}
