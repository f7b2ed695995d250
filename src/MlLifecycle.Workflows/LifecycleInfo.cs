using System.Reflection;

namespace MlLifecycle.Workflows;

/// <summary>Names and versions shared by the activities, the API and the local CLI.</summary>
public static class LifecycleInfo
{
    /// <summary>The optional spec next to uploads: <c>datasets/{model}/lifecycle.json</c>.</summary>
    public const string SpecFileName = "lifecycle.json";

    /// <summary>The informational version of this build, recorded on every registered model.</summary>
    public static readonly string CodeVersion =
        typeof(LifecycleInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
