namespace MlLifecycle.Local.Infrastructure;

/// <summary>Finds the repository's folders from wherever the CLI or a test runs.</summary>
public static class LocalPaths
{
    /// <summary>The repository root: the nearest folder above the app or the working directory holding <c>infra/package.json</c>.</summary>
    public static string RepositoryRoot()
    {
        if (Environment.GetEnvironmentVariable("MLLIFECYCLE_ROOT") is { Length: > 0 } root)
        {
            return root;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "infra", "package.json")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("Cannot find the repository (a folder with infra/package.json) above the working directory; set MLLIFECYCLE_ROOT.");
    }

    public static string InfraFolder() => Path.Combine(RepositoryRoot(), "infra");

    /// <summary>Azurite's default data folder for the CLI and <c>serve</c> (git-ignored); <c>MLLIFECYCLE_AZURITE_DATA</c> overrides it (<see cref="AzuriteOptions.FromEnvironment()"/>).</summary>
    public static string AzuriteData() => Path.Combine(RepositoryRoot(), ".data", "azurite");
}
