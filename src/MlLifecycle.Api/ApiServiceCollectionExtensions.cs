using Microsoft.Extensions.DependencyInjection;

namespace MlLifecycle.Api;

public static class ApiServiceCollectionExtensions
{
    public static IServiceCollection AddMlLifecycleApi(this IServiceCollection services) =>
        services.AddSingleton<ModelServer>().AddSingleton<TrainingStarter>().AddSingleton<LifecycleApi>().AddSingleton<DriftCheck>();
}
