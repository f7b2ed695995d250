namespace MlLifecycle.Bench;

/// <summary>Where the repository is: the folder above this harness that holds <c>Serverless.sln</c>.</summary>
public static class Repository
{
    public static string Root { get; } = Find(AppContext.BaseDirectory);

    private static string Find(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Serverless.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Serverless.sln above {start}.");
    }
}
