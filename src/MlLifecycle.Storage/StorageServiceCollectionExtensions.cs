using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace MlLifecycle.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="BlobServiceClient"/> and one <see cref="TableServiceClient"/> plus the store and
    /// registry, and the cache of loaded models. <paramref name="connection"/> is a connection string (Azurite, local) or, in Azure, the storage
    /// account name, used with managed identity.
    /// </summary>
    public static IServiceCollection AddMlLifecycleStorage(this IServiceCollection services, string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        var calls = new StorageCalls();
        var blobOptions = new BlobClientOptions();
        var tableOptions = new TableClientOptions();
        blobOptions.AddPolicy(calls, HttpPipelinePosition.PerRetry);
        tableOptions.AddPolicy(calls, HttpPipelinePosition.PerRetry);
        services.AddSingleton(calls);
        if (connection.Contains('=', StringComparison.Ordinal))
        {
            services.AddSingleton(new BlobServiceClient(connection, blobOptions));
            services.AddSingleton(new TableServiceClient(connection, tableOptions));
        }
        else
        {
            var credential = new DefaultAzureCredential();
            services.AddSingleton(new BlobServiceClient(new Uri($"https://{connection}.blob.core.windows.net"), credential, blobOptions));
            services.AddSingleton(new TableServiceClient(new Uri($"https://{connection}.table.core.windows.net"), credential, tableOptions));
        }

        services.AddSingleton<ArtifactStore>();
        services.AddSingleton<InferenceLogStore>();
        services.AddSingleton(sp => sp.GetService<IConfiguration>()?["MlLifecycle:RegistryWebhook"] is { Length: > 0 } webhook
            ? new RegistryEvents(sp.GetRequiredService<ILogger<RegistryEvents>>(), new Uri(webhook), new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            : new RegistryEvents(sp.GetRequiredService<ILogger<RegistryEvents>>()));
        services.AddSingleton(sp => new ModelRegistry(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<RegistryEvents>()));
        services.AddOptions<ModelCacheOptions>().BindConfiguration(ModelCacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ModelCache>();
        return services;
    }

    /// <summary>Creates the containers and tables of the storage contract if they are missing.</summary>
    public static async Task EnsureMlLifecycleStorageAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await services.GetRequiredService<ArtifactStore>().EnsureContainersAsync(ct);
        await services.GetRequiredService<ModelRegistry>().EnsureTablesAsync(ct);
    }
}
