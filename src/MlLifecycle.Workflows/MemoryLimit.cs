namespace MlLifecycle.Workflows;

/// <summary>
/// Holds a process's managed heap to the memory budget (<c>MlLifecycle:MemoryBudgetMb</c>). In Azure the runtime takes
/// its limit from the instance's container; the local CLI runs on a machine with more memory than the instance it
/// stands for, where the collector would otherwise keep gigabytes of a large run's freed arrays as if they were in use.
/// <see cref="HeapShare"/> of the budget goes to the heap, as a container's limit does; the rest is left to native
/// memory (the runtime, LightGBM's and FastTree's training data).
/// </summary>
public static class MemoryLimit
{
    /// <summary>The share of the budget the managed heap may take (the runtime's default share of a container's memory).</summary>
    public const double HeapShare = 0.75;

    /// <summary>Sets the heap's hard limit from a budget in MB (or the default budget), now and for the rest of the process.</summary>
    public static void Apply(string? budgetMb)
    {
        var budget = int.TryParse(budgetMb, out var configured) && configured > 0 ? configured : new LifecycleOptions().MemoryBudgetMb;
        AppContext.SetData("GCHeapHardLimit", (ulong)(budget * HeapShare) << 20);
        GC.RefreshMemoryLimit();
    }
}
