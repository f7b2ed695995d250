using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MlLifecycle.Api;

public static class ApiServiceCollectionExtensions
{
    public static IServiceCollection AddMlLifecycleApi(this IServiceCollection services)
    {
        services.AddOptions<ServingOptions>().BindConfiguration("Serving").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<InferenceLog>().AddHostedService(sp => sp.GetRequiredService<InferenceLog>());
        return services.AddSingleton<ModelServer>().AddSingleton<ShadowScorer>().AddSingleton<Deployments>().AddSingleton<DeploymentApi>().AddSingleton<ChallengerExperiment>().AddSingleton<ExperimentApi>().AddSingleton<TrainingStarter>().AddSingleton<LifecycleApi>().AddSingleton<DriftCheck>().AddSingleton<DriftApi>()
            .AddSingleton<BatchStarter>().AddSingleton<BatchApi>();
    }
}
