using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace MlLifecycle.IntegrationTests;

/// <summary>The built CLI (<c>mllifecycle.dll</c>) run as its own process, as users run it.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();

    private CliProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_errors) { _errors.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>The keys file of every CLI process a test starts (not the repository's own <c>.data/keys.json</c>).</summary>
    public static string KeysFile { get; } = Path.Combine(Path.GetTempPath(), $"mllifecycle-test-keys-{Environment.ProcessId}.json");

    /// <summary>The keys in <see cref="KeysFile"/>, which the CLI's <c>serve</c> asks for.</summary>
    public static MlLifecycle.Api.ApiKeys Keys { get; } = MlLifecycle.Local.Infrastructure.KeyFile.LoadOrCreate(KeysFile).Keys;

    /// <summary>A client of a <c>serve</c> on <paramref name="port"/> that sends the admin key.</summary>
    public static HttpClient Http(int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Add(MlLifecycle.Api.ApiKeys.Header, Keys.Admin);
        return http;
    }

    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public string Errors { get { lock (_errors) { return _errors.ToString(); } } }

    /// <summary>Starts <c>mllifecycle {args}</c> with the given environment (storage, ports, lock timeout…).</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mllifecycle.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["MLLIFECYCLE_KEYS_FILE"] = KeysFile;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Sends a POSIX signal (SIGTERM 15, SIGINT 2, SIGKILL 9).</summary>
    public void Signal(int signal) => _ = Kill(Process.Id, signal);

    /// <summary>Waits for the exit; returns the exit code, or throws with the process's stderr when it takes too long.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"mllifecycle {Process.Id} did not exit within {timeout.TotalSeconds} s. stderr:\n{Errors}");
        }

        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
    }

    public static bool Listening(int port)
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

    /// <summary>Process ids whose command line contains <paramref name="text"/> (Linux /proc).</summary>
    public static IReadOnlyList<int> ProcessesWith(string text) =>
        [.. Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsDigit)).Where(pid =>
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(text, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        }).Select(pid => int.Parse(pid, CultureInfo.InvariantCulture))];

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
