using Microsoft.DurableTask;

namespace MlLifecycle.Workflows;

/// <summary>An activity that forwards its input to one method of a service (how the local host registers activities).</summary>
internal sealed class DelegateActivity<TInput, TOutput>(Func<TInput, Task<TOutput>> run) : TaskActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => run(input);
}
