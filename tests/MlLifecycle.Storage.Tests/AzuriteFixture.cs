using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;

namespace MlLifecycle.Storage.Tests;

/// <summary>A real Azurite on free ports with in-memory persistence, shared by the tests of this assembly.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private Azurite? _azurite;

    public ArtifactStore Store { get; private set; } = null!;

    public ModelRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        Store = new ArtifactStore(new BlobServiceClient(_azurite.ConnectionString));
        Registry = new ModelRegistry(new TableServiceClient(_azurite.ConnectionString));
        await Store.EnsureContainersAsync();
        await Registry.EnsureTablesAsync();
    }

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
