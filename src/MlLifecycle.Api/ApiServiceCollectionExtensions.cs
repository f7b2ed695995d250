using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MlLifecycle.Api;

public static class ApiServiceCollectionExtensions
{
    public static IServiceCollection AddMlLifecycleApi(this IServiceCollection services)
    {
        services.AddOptions<ServingOptions>().BindConfiguration("Serving").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        return services.AddSingleton<ModelServer>().AddSingleton<ShadowScorer>().AddSingleton<Deployments>().AddSingleton<DeploymentApi>().AddSingleton<TrainingStarter>().AddSingleton<LifecycleApi>().AddSingleton<DriftCheck>();
    }
}
