using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Local.Infrastructure;

namespace MlLifecycle.Local.Tests;

public class AzuriteTests
{
    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Start_FreePorts_ServesBlobsAndStopsWhatItStarted()
    {
        var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        int[] ports = [azurite.BlobPort, azurite.QueuePort, azurite.TablePort];

        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("probe");
        await container.CreateIfNotExistsAsync();
        await container.UploadBlobAsync("x.txt", BinaryData.FromString("hello"));

        Assert.True(azurite.Started);
        Assert.All(ports, p => Assert.True(Listening(p)));
        await azurite.DisposeAsync();
        Assert.All(ports, p => Assert.False(Listening(p)));
    }

    [Fact]
    public async Task Dispose_Started_AzuriteExitsOnSigtermWithoutBeingKilled()
    {
        var logger = new ListLogger();
        var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, logger);
        await new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("probe").CreateIfNotExistsAsync();

        await azurite.DisposeAsync();

        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.False(Listening(azurite.BlobPort));
    }

    [Fact]
    public async Task Dispose_AfterDurableClientReadOfMissingHub_AzuriteStillExitsOnSigterm()
    {
        var logger = new ListLogger();
        var azurite = await Azurite.StartAsync(AzuriteOptions.Ephemeral, logger);
        await using (var engine = new DurableEngine(azurite.ConnectionString, NullLoggerFactory.Instance))
        {
            // No task hub yet: the client's read leaves a connection open that Azurite's close waits for.
            Assert.Null(await engine.Client.GetInstanceAsync("nope"));
        }

        await azurite.DisposeAsync();

        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.False(Listening(azurite.TablePort));
    }

    [Fact]
    public async Task Start_PortsAlreadyListening_ReusesAndLeavesItRunning()
    {
        await using var first = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var options = new AzuriteOptions(first.BlobPort, first.QueuePort, first.TablePort, null);

        var second = await Azurite.StartAsync(options, NullLogger.Instance);
        await second.DisposeAsync();

        Assert.False(second.Started);
        Assert.True(Listening(first.BlobPort));
        Assert.Equal(first.ConnectionString, second.ConnectionString);
    }

    [Fact]
    public async Task StarterDisposedFirst_LeavesItToTheUserStillOnIt_WhichStopsIt()
    {
        var starter = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var reuser = await Azurite.StartAsync(new AzuriteOptions(starter.BlobPort, starter.QueuePort, starter.TablePort, null), NullLogger.Instance);
        var container = new BlobServiceClient(reuser.ConnectionString).GetBlobContainerClient("shared");
        await container.CreateIfNotExistsAsync();

        await starter.DisposeAsync();
        await container.UploadBlobAsync("after-the-starter-left.txt", BinaryData.FromString("still served"));
        Assert.True(Listening(reuser.BlobPort));

        await reuser.DisposeAsync();
        Assert.All([reuser.BlobPort, reuser.QueuePort, reuser.TablePort], p => Assert.False(Listening(p)));
    }

    [Fact]
    public async Task Start_PersistentFolder_KeepsDataAcrossRestarts()
    {
        var folder = Path.Combine(Path.GetTempPath(), "azurite-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new AzuriteOptions(Azurite.FreePort(), Azurite.FreePort(), Azurite.FreePort(), folder);
            await using (var azurite = await Azurite.StartAsync(options, NullLogger.Instance))
            {
                var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("keep");
                await container.CreateIfNotExistsAsync();
                await container.UploadBlobAsync("x.txt", BinaryData.FromString("kept"));
            }

            await using var restarted = await Azurite.StartAsync(options, NullLogger.Instance);
            var content = await new BlobServiceClient(restarted.ConnectionString).GetBlobContainerClient("keep").GetBlobClient("x.txt").DownloadContentAsync();

            Assert.Equal("kept", content.Value.Content.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Dispose_StaleOrphanFileNamesUnrelatedProcess_LeavesItRunning()
    {
        using var unrelated = Process.Start("sleep", "60");
        var starter = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var options = new AzuriteOptions(starter.BlobPort, starter.QueuePort, starter.TablePort, null);
        var reuser = await Azurite.StartAsync(options, NullLogger.Instance);
        await starter.DisposeAsync(); // leaves Azurite running for the reuser, recorded in orphan.pid
        var orphan = Path.Combine(Azurite.UsersFolder(starter.BlobPort), "orphan.pid");
        var azuriteRecord = await File.ReadAllTextAsync(orphan);
        try
        {
            // As after a reboot or id reuse: the recorded id (and start time) now name another process.
            await File.WriteAllTextAsync(orphan, Azurite.OrphanRecord(unrelated.Id));

            await reuser.DisposeAsync();

            Assert.False(unrelated.HasExited);
        }
        finally
        {
            unrelated.Kill();
            await File.WriteAllTextAsync(orphan, azuriteRecord);
            await (await Azurite.StartAsync(options, NullLogger.Instance)).DisposeAsync(); // the last user stops the real one
        }

        Assert.False(Listening(options.BlobPort));
    }

    [Fact]
    public async Task Start_PortsServedByInMemoryAzurite_RefusesDataFolder()
    {
        await using var inMemory = await Azurite.StartAsync(AzuriteOptions.Ephemeral, NullLogger.Instance);
        var folder = Path.Combine(Path.GetTempPath(), "azurite-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Azurite.StartAsync(new AzuriteOptions(inMemory.BlobPort, inMemory.QueuePort, inMemory.TablePort, folder), NullLogger.Instance));

        Assert.Contains("in-memory data", error.Message, StringComparison.Ordinal);
        Assert.Contains(folder, error.Message, StringComparison.Ordinal);
        Assert.Contains(AzuriteOptions.BlobPortVariable, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task Start_PortsServedBySameDataFolder_Reuses()
    {
        var folder = Path.Combine(Path.GetTempPath(), "azurite-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new AzuriteOptions(Azurite.FreePort(), Azurite.FreePort(), Azurite.FreePort(), folder);
            await using var first = await Azurite.StartAsync(options, NullLogger.Instance);

            await using var second = await Azurite.StartAsync(options with { DataFolder = folder + "/../" + Path.GetFileName(folder) + "/" }, NullLogger.Instance);

            Assert.False(second.Started);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Start_PortsTakenByAnotherProgram_Refuses()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            var ports = listeners.Select(l => { l.Start(); return ((IPEndPoint)l.LocalEndpoint).Port; }).ToArray();

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                Azurite.StartAsync(new AzuriteOptions(ports[0], ports[1], ports[2], null), NullLogger.Instance));

            Assert.Contains($"process {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
            Assert.Contains("not Azurite", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Array.ForEach(listeners, l => l.Stop());
        }
    }

    [Fact]
    public void FromEnvironment_VariablesSet_UsesThem()
    {
        var variables = new Dictionary<string, string>
        {
            [AzuriteOptions.BlobPortVariable] = "20000",
            [AzuriteOptions.QueuePortVariable] = "20001",
            [AzuriteOptions.TablePortVariable] = "20002",
            [AzuriteOptions.DataVariable] = "/tmp/other-azurite",
        };

        var options = AzuriteOptions.FromEnvironment(variables.GetValueOrDefault);

        Assert.Equal(new AzuriteOptions(20000, 20001, 20002, "/tmp/other-azurite"), options);
    }

    [Fact]
    public void FromEnvironment_NothingSet_AzuriteDefaultsWithRepositoryData()
    {
        var options = AzuriteOptions.FromEnvironment(_ => null);

        Assert.Equal(AzuriteOptions.Default(LocalPaths.AzuriteData()), options);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("70000")]
    public void FromEnvironment_PortNotAPortNumber_Throws(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AzuriteOptions.FromEnvironment(name => name == AzuriteOptions.QueuePortVariable ? value : null));

        Assert.Contains(AzuriteOptions.QueuePortVariable, error.Message, StringComparison.Ordinal);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
