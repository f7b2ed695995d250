using System.Text.RegularExpressions;
using Microsoft.DurableTask;

namespace MlLifecycle.Workflows;

/// <summary>
/// Retries an activity only when its failure may pass on a later try: storage or network trouble (a timeout,
/// throttling, a 5xx), or the machine running short of memory or stack. A failure that would repeat — a configuration
/// error in the split, bad data, a deterministic training failure — fails the run at once instead of three more times.
/// </summary>
public static partial class ActivityRetry
{
    public const int MaxAttempts = 4;

    /// <summary>Wait before the second attempt; doubled before each later one.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);

    private static readonly HashSet<string> TransientTypes =
    [
        "System.IO.IOException", "System.Net.Http.HttpRequestException", "System.Net.Sockets.SocketException", "System.TimeoutException",
        "System.Threading.Tasks.TaskCanceledException", "System.OutOfMemoryException", "System.InsufficientExecutionStackException",
    ];

    /// <summary>Options for every activity call of the lifecycle's orchestrations.</summary>
    public static TaskOptions Options { get; } = TaskOptions.FromRetryHandler(async retry =>
    {
        if (retry.LastAttemptNumber >= MaxAttempts || !IsTransient(retry.LastFailure))
        {
            return false;
        }

        await retry.OrchestrationContext.CreateTimer(FirstDelay * Math.Pow(2, retry.LastAttemptNumber - 1), retry.CancellationToken);
        return true;
    });

    /// <summary>Whether a failure may pass on a later try (by exception type, or by the HTTP status of a storage failure).</summary>
    public static bool IsTransient(TaskFailureDetails failure) =>
        TransientTypes.Contains(failure.ErrorType)
        || (failure.ErrorType == "Azure.RequestFailedException" && StorageStatus().Match(failure.ErrorMessage) is { Success: true } status
            && int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is 408 or 429 or >= 500)
        || (failure.InnerFailure is { } inner && IsTransient(inner));

    [GeneratedRegex(@"Status: (\d{3})")]
    private static partial Regex StorageStatus();
}
