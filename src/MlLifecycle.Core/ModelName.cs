using System.Text.RegularExpressions;

namespace MlLifecycle.Core;

/// <summary>Model names are used as blob folders and table partition keys: lowercase letters, digits and '-'.</summary>
public static partial class ModelName
{
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Turns a file name such as <c>Credit G.csv</c> into a model name (<c>credit-g</c>).</summary>
    public static string FromFileName(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName).ToLowerInvariant();
        var name = Invalid().Replace(stem, "-").Trim('-');
        return name.Length == 0 ? "model" : name[..Math.Min(name.Length, 63)].TrimEnd('-');
    }

    public static string Describe => "1-63 characters: lowercase letters, digits and '-', starting with a letter or digit";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex Pattern();

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex Invalid();
}
