using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlLifecycle.Api;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// The local platform as users run it — Azurite (free ports, in memory), the Durable Task engine on Azure Storage, the
/// blob trigger and the HTTP API on loopback — with credit-g trained once through a blob upload.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public const string CreditModel = "credit";

    private readonly ILoggerFactory _loggers = CreateLoggers();

    public LocalPlatform Platform { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public ArtifactStore Store => Platform.Services.GetRequiredService<ArtifactStore>();

    public ModelRegistry Registry => Platform.Services.GetRequiredService<ModelRegistry>();

    /// <summary>The run that trained credit-g from a blob upload (the blob trigger's path).</summary>
    public RunView CreditRun { get; private set; } = null!;

    public string CreditBlob { get; } = $"{CreditModel}/credit-g.csv";

    /// <summary>Uploads larger than this are rejected (set low so a test can exceed it).</summary>
    public const long MaxDatasetBytes = 1024 * 1024;

    /// <summary>One credit-g applicant, as a prediction request body.</summary>
    public static object CreditRow(int duration = 12, string checking = "<0") => new
    {
        checking_status = checking,
        duration,
        credit_history = "existing paid",
        purpose = "radio/tv",
        credit_amount = 2500,
        savings_status = "<100",
        employment = "1<=X<4",
        installment_commitment = 3,
        personal_status = "male single",
        other_parties = "none",
        residence_since = 2,
        property_magnitude = "car",
        age = 35,
        other_payment_plans = "none",
        housing = "own",
        existing_credits = 1,
        job = "skilled",
        num_dependents = 1,
        own_telephone = "none",
        foreign_worker = "yes",
    };

    public static string CreditCsvPath => Sample("credit-g.csv");

    public static string Sample(string file) => Path.Combine(AppContext.BaseDirectory, "data", file);

    /// <summary>Console logging of warnings and errors (the Durable Task Framework's own: errors only).</summary>
    public static ILoggerFactory CreateLoggers() =>
        LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("DurableTask", LogLevel.Error).AddFilter("Microsoft.DurableTask", LogLevel.Error));

    public async Task InitializeAsync()
    {
        var options = new LocalPlatformOptions(AzuriteOptions.Ephemeral, HttpPort: 0, WatchBlobs: true)
        {
            BlobWatchMaxInterval = BlobWatcher.Interval,
            Settings =
            {
                ["MlLifecycle:MaxDatasetBytes"] = MaxDatasetBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // AccessTests sends each route requests without a valid key, faster than the default limit per address (tested on its own host).
                ["RateLimit:PerAddressWithoutKey"] = "0",
            },
        };
        Platform = await LocalPlatform.StartAsync(options, _loggers);
        Http = new HttpClient { BaseAddress = Platform.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Add(ApiKeys.Header, Platform.Keys.Admin);
        var etag = await UploadAsync(CreditBlob, await File.ReadAllBytesAsync(CreditCsvPath), label: "class");
        CreditRun = await WaitForRunAsync(RunIds.ForBlob(CreditBlob, etag));
    }

    /// <summary>Uploads a dataset blob and returns its ETag.</summary>
    public async Task<string> UploadAsync(string blobName, byte[] content, string? label = null)
    {
        var options = new BlobUploadOptions { Metadata = label is null ? null : new Dictionary<string, string> { ["label"] = label } };
        var response = await Store.Blob(ArtifactStore.Datasets, blobName).UploadAsync(BinaryData.FromBytes(content), options);
        return response.Value.ETag.ToString();
    }

    /// <summary>Waits until a run exists and has finished (the blob watcher starts it within seconds).</summary>
    public async Task<RunView> WaitForRunAsync(string runId, int timeoutSeconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await RunView.GetAsync(Platform.Client, runId) is { IsFinished: true } view)
            {
                return view;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Run {runId} did not finish within {timeoutSeconds} s.");
    }

    /// <summary>How many times an orchestration scheduled an activity, read from the Durable history table.</summary>
    public async Task<int> CountScheduledAsync(string instanceId, string activity) =>
        (await DurableHistory.ScheduledAsync(Platform.StorageConnectionString, instanceId)).Count(name => name == activity);

    /// <summary>Rows of an orchestration's Durable history, per execution (a <c>ContinueAsNew</c> starts a new one).</summary>
    public async Task<Dictionary<string, int>> HistoryByExecutionAsync(string instanceId) =>
        (await DurableHistory.EventsAsync(Platform.StorageConnectionString, instanceId)).CountBy(e => e.GetString("ExecutionId") ?? "").ToDictionary();

    /// <summary>A fresh model with <paramref name="versions"/> copies of the credit-g champion; its champion is v1.</summary>
    public async Task<string> NewModelAsync(int versions, Action<JsonObject>? editManifest = null, Action<JsonObject>? editSpec = null, string prefix = "serve")
    {
        var model = $"{prefix}-{Guid.NewGuid():N}"[..20];
        for (var i = 0; i < versions; i++)
        {
            await CopyVersionAsync(model, editManifest: editManifest, editSpec: editSpec);
        }

        Assert.True(await Registry.TryCreateAliasAsync(model, ModelRegistry.Champion, 1, DateTimeOffset.UtcNow));
        return model;
    }

    /// <summary>
    /// Registers a copy of credit-g v1 under <paramref name="model"/>: its zip altered after its SHA-256 is recorded, if
    /// asked, or before (<paramref name="recordAlteredSha"/>, as if both blob and registry had been written by an attacker).
    /// </summary>
    public async Task<int> CopyVersionAsync(string model, Func<byte[], byte[]>? alterZip = null, Action<JsonObject>? editManifest = null, Action<JsonObject>? editSpec = null, bool recordAlteredSha = false)
    {
        var source = (await Registry.GetVersionAsync(CreditModel, 1))!;
        var runId = $"copy-{Guid.NewGuid():N}";
        var version = await Registry.ReserveVersionAsync(model, runId, DateTimeOffset.UtcNow);
        foreach (var file in new[] { "model.zip", ModelRegistry.EvaluatedModelFile, "schema.json", "manifest.json", "spec.json", "baseline.json" })
        {
            if (await Store.TryReadAsync(ArtifactStore.Artifacts, $"{CreditModel}/1/{file}") is not { } stored)
            {
                continue;
            }

            var content = stored.ToArray();
            if (file == "model.zip" && alterZip is not null)
            {
                content = alterZip(content);
                source = recordAlteredSha ? source with { ArtifactSha256 = ArtifactStore.Sha256(BinaryData.FromBytes(content)) } : source;
            }

            if ((file == "manifest.json" ? editManifest : file == "spec.json" ? editSpec : null) is { } edit)
            {
                var json = JsonNode.Parse(content)!.AsObject();
                edit(json);
                content = Encoding.UTF8.GetBytes(json.ToJsonString());
            }

            await Store.WriteAsync(ArtifactStore.Artifacts, $"{model}/{version}/{file}", BinaryData.FromBytes(content));
        }

        await Registry.CompleteVersionAsync(source with { Model = model, Version = version, RunId = runId });
        return version;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Platform.DisposeAsync();
        _loggers.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "Platform";
}
