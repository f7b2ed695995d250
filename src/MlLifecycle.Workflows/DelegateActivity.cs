using Microsoft.DurableTask;

namespace MlLifecycle.Workflows;

/// <summary>An activity that forwards its input to a delegate (how the local host registers activities).</summary>
public sealed class DelegateActivity<TInput, TOutput>(Func<TInput, Task<TOutput>> run) : TaskActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => run(input);
}
