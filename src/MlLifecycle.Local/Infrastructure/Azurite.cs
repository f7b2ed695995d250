using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>Where Azurite listens and how it keeps data.</summary>
/// <param name="BlobPort">Blob port; 0 = a free port.</param>
/// <param name="QueuePort">Queue port; 0 = a free port.</param>
/// <param name="TablePort">Table port; 0 = a free port.</param>
/// <param name="DataFolder">Persistent data folder; null = in-memory (tests).</param>
public sealed record AzuriteOptions(int BlobPort, int QueuePort, int TablePort, string? DataFolder)
{
    public const string BlobPortVariable = "MLLIFECYCLE_AZURITE_BLOB_PORT";
    public const string QueuePortVariable = "MLLIFECYCLE_AZURITE_QUEUE_PORT";
    public const string TablePortVariable = "MLLIFECYCLE_AZURITE_TABLE_PORT";
    public const string DataVariable = "MLLIFECYCLE_AZURITE_DATA";

    /// <summary>Azurite's default ports with data kept on disk.</summary>
    public static AzuriteOptions Default(string dataFolder) => new(10000, 10001, 10002, dataFolder);

    /// <summary>Free ports, in-memory persistence (tests).</summary>
    public static AzuriteOptions Ephemeral => new(0, 0, 0, null);

    /// <summary>
    /// The CLI's and <c>serve</c>'s Azurite: ports from <c>MLLIFECYCLE_AZURITE_BLOB_PORT</c>, <c>_QUEUE_PORT</c> and
    /// <c>_TABLE_PORT</c> (default 10000, 10001, 10002), data in <c>MLLIFECYCLE_AZURITE_DATA</c> (default
    /// <c>{repository}/.data/azurite</c>; a relative path is taken from the working directory).
    /// </summary>
    /// <exception cref="InvalidOperationException">A port variable is not a number from 1 to 65535.</exception>
    public static AzuriteOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    internal static AzuriteOptions FromEnvironment(Func<string, string?> variable) =>
        new(
            Port(variable, BlobPortVariable, 10000),
            Port(variable, QueuePortVariable, 10001),
            Port(variable, TablePortVariable, 10002),
            variable(DataVariable) is { Length: > 0 } data ? Path.GetFullPath(data) : LocalPaths.AzuriteData());

    private static int Port(Func<string, string?> variable, string name, int fallback) => variable(name) switch
    {
        null or "" => fallback,
        var value when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 => port,
        var value => throw new InvalidOperationException($"{name} must be a port number from 1 to 65535, not '{value}'."),
    };
}

/// <summary>
/// Ensures Azurite (pinned in <c>infra/package.json</c>) is running: reuses one already listening on the ports when it
/// serves the requested data (refuses another data folder or another program), otherwise runs <c>npm ci</c> in
/// <c>infra/</c> when needed, starts it and waits for its ports. Every instance, started or reused, registers as a user
/// of the ports (a file per user in a folder named after the blob port); Azurite is stopped when its last live user is
/// disposed, so a command that started it does not stop it under another that reused it meanwhile: the last one out
/// stops it.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string Orphan = "orphan.pid";
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>Azurite saves and exits about 0.1 s after SIGTERM; it is killed if it has not exited after this.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

    // Loaded before Azurite. (1) Azurite logs "closing…" to stdout on SIGTERM. When the command that started it has
    // exited, that pipe is broken and Node dies of the EPIPE before saving: ignore stdout/stderr errors so a later user
    // can stop it safely. (2) On SIGTERM Azurite closes its servers, and a server waits for its open connections; a
    // client that left a response unread (the Durable client after a 404) kept it running until it was killed 3 s
    // later. Only the last user stops Azurite, so nobody is still talking to it: close every connection shortly after.
    private const string StartupHooks =
        "data:text/javascript,import http from 'node:http';" +
        "for (const s of [process.stdout, process.stderr]) s.on('error', () => {});" +
        "const servers = [], listen = http.Server.prototype.listen;" +
        "http.Server.prototype.listen = function (...a) { servers.push(this); return listen.apply(this, a); };" +
        "process.on('SIGTERM', () => { if (process.listenerCount('SIGTERM') === 1) process.exit(143);" + // before Azurite listens: exit as Node would
        " setTimeout(() => servers.forEach(s => s.closeAllConnections()), 200).unref(); });";

    private readonly Process? _process;
    private readonly ILogger _logger;
    private readonly string _users;
    private readonly string? _user;

    private Azurite(int blob, int queue, int table, Process? process, ILogger logger)
    {
        (BlobPort, QueuePort, TablePort, _process, _logger) = (blob, queue, table, process, logger);
        _users = UsersFolder(blob);
        try
        {
            Directory.CreateDirectory(_users);
            _user = Path.Combine(_users, $"{Environment.ProcessId}-{Guid.NewGuid():N}.user");
            File.WriteAllText(_user, "");
            if (process is not null)
            {
                File.Delete(Path.Combine(_users, Orphan)); // a new Azurite on these ports: any earlier one is gone
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _user = null; // no registry: this instance stops what it started, as if it were the only user
        }
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    /// <summary>True when this instance started the process (and will stop it).</summary>
    public bool Started => _process is not null;

    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        $"AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <exception cref="InvalidOperationException">
    /// Azurite did not start, or the ports are served by another program or by an Azurite with other data.
    /// </exception>
    public static async Task<Azurite> StartAsync(AzuriteOptions options, ILogger logger, CancellationToken ct = default)
    {
        int[] requested = [options.BlobPort, options.QueuePort, options.TablePort];
        if (requested.All(p => p > 0) && requested.All(IsListening))
        {
            EnsureServes(options, logger);
            logger.LogInformation("Reusing Azurite already listening on ports {Blob}/{Queue}/{Table}", options.BlobPort, options.QueuePort, options.TablePort);
            return new Azurite(options.BlobPort, options.QueuePort, options.TablePort, null, logger);
        }

        var ports = requested.Select(p => p > 0 ? p : FreePort()).ToArray();
        var infra = LocalPaths.InfraFolder();
        var entry = Path.Combine(infra, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(entry))
        {
            logger.LogInformation("Installing Azurite with npm ci in {Folder}", infra);
            await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], infra, ct);
        }

        // Without telemetry Azurite exits once SIGTERM has closed its services (~0.1 s); with it, it was still running 8 s later.
        List<string> args =
        [
            "--import", StartupHooks, entry,
            "--silent", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", $"{ports[0]}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{ports[1]}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{ports[2]}",
        ];
        if (options.DataFolder is null)
        {
            args.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(options.DataFolder);
            args.AddRange(["--location", Path.GetFullPath(options.DataFolder)]);
        }

        // In its own session: Ctrl+C in the terminal reaches the CLI, which hands its work back through Azurite before
        // stopping it; without setsid Azurite would get the SIGINT too and close under it.
        var process = (File.Exists(Setsid) ? Process.Start(StartInfo(Setsid, ["node", .. args], infra)) : Process.Start(StartInfo("node", args, infra)))
            ?? throw new InvalidOperationException("Could not start node.");
        var errors = new System.Text.StringBuilder();
        var azurite = new Azurite(ports[0], ports[1], ports[2], process, logger);
        process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        process.OutputDataReceived += (_, _) => { }; // drained so Azurite never blocks on a full pipe
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ports.All(IsListening))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await azurite.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start on ports {string.Join('/', ports)}: {errors.ToString().Trim()}");
            }

            await Task.Delay(100, ct);
        }

        logger.LogInformation("Started Azurite on ports {Ports} ({Persistence})", string.Join('/', ports), options.DataFolder ?? "in memory");
        return azurite;
    }

    /// <summary>
    /// Unregisters this user; the last one stops Azurite: SIGTERM makes it close its services, save its data and exit;
    /// it is killed only if it is still running after <see cref="StopTimeout"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var othersLeft = false;
        try
        {
            if (_user is not null)
            {
                File.Delete(_user);
                othersLeft = OtherLiveUsers();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The registry went away: stop what this instance started.
        }

        var orphan = Path.Combine(_users, Orphan);
        if (_process is { HasExited: false } && othersLeft)
        {
            // Another user still works against it: leave it running for the last one to stop.
            await File.WriteAllTextAsync(orphan, OrphanRecord(_process.Id));
        }
        else if (_process is { HasExited: false })
        {
            await StopAsync(_process);
        }
        else if (!othersLeft && _user is not null && TryReadOrphan(orphan) is { } record)
        {
            await StopOrphanAsync(record);
            File.Delete(orphan);
        }

        _process?.Dispose();
    }

    /// <summary>The folder where the users of the Azurite on <paramref name="blobPort"/> register (per OS user).</summary>
    internal static string UsersFolder(int blobPort) =>
        Path.Combine(Path.GetTempPath(), $"mllifecycle-azurite-{Environment.UserName}", blobPort.ToString(CultureInfo.InvariantCulture));

    /// <summary>What <c>orphan.pid</c> records to recognise the process later: its id and start time (0 when unknown).</summary>
    internal static string OrphanRecord(int pid) =>
        string.Create(CultureInfo.InvariantCulture, $"{pid} {LinuxProcess.StartTime(pid) ?? 0}");

    /// <summary>
    /// Refuses ports served by another program or by an Azurite with other data (the wrong data would be read and
    /// written). Reuses with a warning when the process cannot be identified (another OS user's, or not Linux).
    /// </summary>
    private static void EnsureServes(AzuriteOptions options, ILogger logger)
    {
        var wanted = options.DataFolder is null ? null : Normalize(options.DataFolder);
        var fix = $"Stop it, or set {AzuriteOptions.BlobPortVariable}, {AzuriteOptions.QueuePortVariable} and {AzuriteOptions.TablePortVariable} to free ports.";
        var pid = LinuxProcess.Listening(options.BlobPort);
        var args = pid is null ? null : LinuxProcess.CommandLine(pid.Value);
        if (pid is null || args is null)
        {
            logger.LogWarning(
                "Reusing what listens on port {Port} without verifying that it is Azurite serving {Data}: its process cannot be identified (another user's, or not Linux)",
                options.BlobPort,
                wanted ?? "in-memory data");
            return;
        }

        var azurite = AzuriteCommand.Parse(args, LinuxProcess.WorkingDirectory(pid.Value));
        if (azurite is null)
        {
            throw new InvalidOperationException(
                $"Port {options.BlobPort} is taken by process {pid} ({string.Join(' ', args)}), which is not Azurite. {fix} " +
                "To use a storage emulator that is not this Azurite, set MLLIFECYCLE_STORAGE to its connection string.");
        }

        if (azurite.Location != wanted)
        {
            throw new InvalidOperationException(
                $"The Azurite on port {options.BlobPort} (process {pid}) serves {azurite.Location ?? "in-memory data"}, not {wanted ?? "in-memory data"}. {fix}");
        }
    }

    private static string Normalize(string folder) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));

    /// <summary>The process an exited starter left running, if any (null when the file is absent, being replaced or unreadable).</summary>
    private static (int Pid, long Start)? TryReadOrphan(string path)
    {
        try
        {
            var parts = File.ReadAllText(path).Split(' ');
            return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var start)
                ? (pid, start)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether another live process (or another instance in this one) is registered on these ports.</summary>
    private bool OtherLiveUsers()
    {
        var alive = false;
        foreach (var file in Directory.EnumerateFiles(_users, "*.user"))
        {
            if (int.TryParse(Path.GetFileName(file).Split('-')[0], out var pid) && IsAlive(pid))
            {
                alive = true;
            }
            else
            {
                File.Delete(file); // a user that died without disposing (killed)
            }
        }

        return alive;
    }

    /// <summary>Stops the Azurite this instance started (the child it holds, so its id cannot have been reused).</summary>
    private async Task StopAsync(Process process)
    {
        _ = Terminate(process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Azurite (process {Pid}) did not exit within {Timeout} of SIGTERM: killing it", process.Id, StopTimeout);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Stops an Azurite that an exited user left running, only while the recorded process id still names it (same start
    /// time, an Azurite command line on this blob port): after a reboot or id reuse it names another process.
    /// </summary>
    private async Task StopOrphanAsync((int Pid, long Start) orphan)
    {
        if (!IsRecordedAzurite(orphan))
        {
            if (IsAlive(orphan.Pid))
            {
                _logger.LogWarning("Not signalling process {Pid} named in {File}: it is not the Azurite recorded on port {Port}", orphan.Pid, Path.Combine(_users, Orphan), BlobPort);
            }

            return;
        }

        _ = Terminate(orphan.Pid, SigTerm);
        var deadline = DateTime.UtcNow + StopTimeout;
        while (IsRecordedAzurite(orphan) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        if (IsRecordedAzurite(orphan))
        {
            _logger.LogWarning("Azurite (process {Pid}) did not exit within {Timeout} of SIGTERM: killing it", orphan.Pid, StopTimeout);
            _ = Terminate(orphan.Pid, SigKill);
        }
    }

    private bool IsRecordedAzurite((int Pid, long Start) orphan) =>
        orphan.Start != 0
        && LinuxProcess.StartTime(orphan.Pid) == orphan.Start
        && LinuxProcess.CommandLine(orphan.Pid) is { } args
        && AzuriteCommand.Parse(args, LinuxProcess.WorkingDirectory(orphan.Pid))?.BlobPort == BlobPort;

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Terminate(int pid, int signal);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private const string Setsid = "/usr/bin/setsid";

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string folder)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, string folder, CancellationToken ct)
    {
        using var process = Process.Start(StartInfo(file, args, folder)) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' failed in {folder} with exit code {process.ExitCode}: {await error}{await output}");
        }
    }
}

/// <summary>What an Azurite command line serves.</summary>
/// <param name="BlobPort">Its blob port.</param>
/// <param name="Location">Its full data folder; null = in memory.</param>
internal sealed record AzuriteCommand(int BlobPort, string? Location)
{
    /// <summary>Reads <c>node …/azurite[.js] [options]</c>; null when the command is not Azurite.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="workingDirectory">The process's working directory (Azurite's default location).</param>
    public static AzuriteCommand? Parse(IReadOnlyList<string> args, string? workingDirectory)
    {
        if (!IsAzurite(args))
        {
            return null;
        }

        string? Value(params string[] names)
        {
            for (var i = 0; i < args.Count; i++)
            {
                foreach (var name in names)
                {
                    if (args[i] == name && i + 1 < args.Count)
                    {
                        return args[i + 1];
                    }

                    if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
                    {
                        return args[i][(name.Length + 1)..];
                    }
                }
            }

            return null;
        }

        var port = int.TryParse(Value("--blobPort"), CultureInfo.InvariantCulture, out var p) ? p : 10000;
        if (args.Contains("--inMemoryPersistence"))
        {
            return new AzuriteCommand(port, null);
        }

        var cwd = workingDirectory ?? Directory.GetCurrentDirectory();
        return new AzuriteCommand(port, Path.TrimEndingDirectorySeparator(Path.GetFullPath(Value("--location", "-l") ?? cwd, cwd)));
    }

    /// <summary>Whether the command runs Azurite's script (<c>azurite.js</c>, or the <c>azurite</c> bin npm links to it).</summary>
    public static bool IsAzurite(IReadOnlyList<string> args) => args.Any(a => Path.GetFileName(a) is "azurite" or "azurite.js");
}

/// <summary>Reads processes from <c>/proc</c> (Linux); every method returns null elsewhere or when it cannot tell.</summary>
internal static class LinuxProcess
{
    /// <summary>The process listening on TCP <paramref name="port"/>: its socket's inode from /proc/net/tcp(6), then the process holding it.</summary>
    public static int? Listening(int port)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var sockets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.TakeWhile(_ => sockets.Count == 0))
        {
            foreach (var line in Lines(table).Skip(1))
            {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …; 0A = LISTEN
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "0A" && int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    sockets.Add($"socket:[{f[9]}]");
                }
            }
        }

        if (sockets.Count == 0)
        {
            return null;
        }

        // Azurites first: scanning every process's descriptors took ~20 ms here, the whole lookup this way ~4 ms.
        var pids = Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .OrderBy(pid => CommandLine(pid) is { } args && AzuriteCommand.IsAzurite(args) ? 0 : 1);
        foreach (var pid in pids)
        {
            if (Holds(pid, sockets))
            {
                return pid;
            }
        }

        return null;
    }

    private static bool Holds(int pid, HashSet<string> sockets)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget is { } target && sockets.Contains(target));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // another user's process, or one that just exited
        }
    }

    /// <summary>The arguments the process was started with (empty for a zombie).</summary>
    public static string[]? CommandLine(int pid)
    {
        var text = Read($"/proc/{pid}/cmdline");
        return text is null ? null : text.TrimEnd('\0').Split('\0');
    }

    public static string? WorkingDirectory(int pid)
    {
        try
        {
            return OperatingSystem.IsLinux() ? new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>When the process started, in clock ticks after boot (/proc/{pid}/stat field 22): with the id, it names one process.</summary>
    public static long? StartTime(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        if (stat is null)
        {
            return null;
        }

        // Fields after the command name in parentheses (which may hold spaces) start at field 3.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    private static string? Read(string path)
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Lines(string path) => Read(path)?.Split('\n', StringSplitOptions.RemoveEmptyEntries) ?? [];
}
