namespace MlLifecycle.Workflows;

/// <summary>
/// How many activities this process is running: a host that shuts down waits for them to finish, so another run's
/// activity it picked up is not left locked until the work-item timeout.
/// </summary>
public sealed class ActivityLoad
{
    private int _running;

    public int Running => Volatile.Read(ref _running);

    internal async Task<T> TrackAsync<T>(Func<Task<T>> activity)
    {
        Interlocked.Increment(ref _running);
        try
        {
            return await activity();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
