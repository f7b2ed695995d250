namespace MlLifecycle.Core.Monitoring;

internal static class SortedSearch
{
    /// <summary>Number of values below <paramref name="x"/> in an ascending span.</summary>
    public static int CountBelow(ReadOnlySpan<double> sorted, double x)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] < x)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    /// <summary>Number of values above <paramref name="x"/> in an ascending span.</summary>
    public static int CountAbove(ReadOnlySpan<double> sorted, double x)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] <= x)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return sorted.Length - low;
    }
}
