using System.IO.Hashing;
using System.Text;

namespace MlLifecycle.Api;

/// <summary>Picks a traffic split's variant: by weight, at random, or or by the xxHash64 of the request's key, so one key always gets the same variant, across processes and restarts.</summary>
public static class TrafficRouter
{
    /// <summary>The alias whose weight range holds the request's point; null when the weights add up to 0.</summary>
    public static string? Choose(IReadOnlyDictionary<string, int> weights, string? key)
    {
        var total = weights.Values.Sum();
        if (total <= 0)
        {
            return null;
        }

        var point = key is null ? Random.Shared.Next(total) : (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key)) % (ulong)total);
        foreach (var (alias, weight) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (point < weight)
            {
                return alias;
            }

            point -= weight;
        }

        return null;
    }
}
