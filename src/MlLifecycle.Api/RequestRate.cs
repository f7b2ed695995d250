using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MlLifecycle.Api;

/// <summary>The local host's request rate limits (configuration section <c>RateLimit</c>); more get 429 with <c>Retry-After</c>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>
    /// Requests a second per key, in bursts of up to one second's worth. 0 (the default) is no limit: one function key
    /// is shared by every client of a model, and the hot path serves about 10,000 single-row predictions a second on
    /// two cores (bench/README.md), so a fixed default would throttle the product, not an abuser.
    /// </summary>
    [Range(0, 1_000_000)]
    public int PerKey { get; set; }

    /// <summary>
    /// Requests a second per client address that present no valid key (wrong or missing keys, <c>/api/health</c>), so
    /// keys cannot be guessed at speed. 0 is no limit. Default 20.
    /// </summary>
    [Range(0, 1_000_000)]
    public int PerAddressWithoutKey { get; set; } = 20;
}

/// <summary>A token bucket per caller: per key, or per client address for requests that present no valid key.</summary>
public sealed class RequestRate(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly RateLimitOptions _options = options.Value;

    private readonly PartitionedRateLimiter<(bool Keyed, string Caller)> _limiter = PartitionedRateLimiter.Create<(bool Keyed, string Caller), (bool, string)>(caller =>
    {
        var perSecond = Math.Max(1, caller.Keyed ? options.Value.PerKey : options.Value.PerAddressWithoutKey);
        return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    });

    /// <summary>
    /// Null when the caller may make one more request now; else 429 with <c>Retry-After</c>. <paramref name="key"/> is
    /// the valid key's name (null without one); <paramref name="address"/> the client's address.
    /// </summary>
    public IResult? Admit(string? key, string address)
    {
        var (limit, setting) = key is null ? (_options.PerAddressWithoutKey, "RateLimit:PerAddressWithoutKey") : (_options.PerKey, "RateLimit:PerKey");
        if (limit == 0)
        {
            return null;
        }

        using var lease = _limiter.AttemptAcquire((key is not null, key ?? address));
        return lease.IsAcquired ? null
            : Problems.TooManyRequests(
                $"More than {limit} requests a second {(key is null ? "from this address without a valid key" : "with this key")} ({setting}); retry after the time in Retry-After.",
                lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1));
    }

    public void Dispose() => _limiter.Dispose();
}
