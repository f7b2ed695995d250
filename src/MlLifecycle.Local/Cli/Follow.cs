using System.Diagnostics;
using MlLifecycle.Local.Hosting;

namespace MlLifecycle.Local.Cli;

/// <summary>Follows a run or job of the task hub until it ends, printing each new stage on stderr.</summary>
internal static class Follow
{
    /// <summary>
    /// Polls <paramref name="poll"/> until <paramref name="finished"/>. A client whose host goes away starts a worker
    /// itself, so the work never waits for nobody.
    /// </summary>
    /// <param name="platform">The platform the work runs on.</param>
    /// <param name="what">What is followed, e.g. <c>run blob-…</c>, at the start of each line.</param>
    /// <param name="poll">The current state.</param>
    /// <param name="line">The state as one line (printed when it changes).</param>
    /// <param name="finished">Whether the state is final.</param>
    /// <param name="ct">Cancels the wait (not the work).</param>
    /// <param name="show">Shows each new state instead of printing its line (a live display).</param>
    public static async Task<T> UntilFinishedAsync<T>(LocalPlatform platform, string what, Func<Task<T>> poll, Func<T, string> line, Func<T, bool> finished, CancellationToken ct, Action<T>? show = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var hostCheck = Stopwatch.StartNew();
        string? last = null;
        if (!platform.HostsWorker)
        {
            Console.Error.WriteLine("a `serve` host runs this work; following it as its client");
        }

        while (true)
        {
            if (!platform.HostsWorker && hostCheck.Elapsed > TimeSpan.FromSeconds(10))
            {
                hostCheck.Restart();
                if (!await platform.Services.GetRequiredService<HostRegistry>().AnyLiveAsync(ct))
                {
                    Console.Error.WriteLine("the `serve` host went away; running the work in this process");
                    await platform.EnsureWorkerAsync();
                }
            }

            var state = await poll();
            var text = line(state);
            if (text != last)
            {
                if (show is null)
                {
                    Console.Error.WriteLine($"{stopwatch.Elapsed.TotalSeconds,6:F1}s  {what}: {text}");
                }
                else
                {
                    show(state);
                }

                last = text;
            }

            if (finished(state))
            {
                return state;
            }

            await Task.Delay(100, ct);
        }
    }
}
