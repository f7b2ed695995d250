using System.Text.Json;
using MlLifecycle.Api;

namespace MlLifecycle.Local.Infrastructure;

/// <summary>
/// The local host's keys on disk: <c>{"function": "…", "admin": "…"}</c>, readable and writable only by the user who
/// made them (mode 600), in <c>.data/keys.json</c> of the repository (git-ignored) or <c>MLLIFECYCLE_KEYS_FILE</c>.
/// </summary>
public static class KeyFile
{
    /// <summary>How to send a key, for the CLI's output.</summary>
    public static string HowToSend => $"send one in the {ApiKeys.Header} header or the {ApiKeys.Query} query parameter";

    /// <summary>The two keys, one a line, each with what it opens.</summary>
    public static string Describe(ApiKeys keys) =>
        $"function key (predict, batch, feedback, reads): {keys.Function}\nadmin key (everything):                         {keys.Admin}";

    public static string DefaultPath() =>
        Environment.GetEnvironmentVariable("MLLIFECYCLE_KEYS_FILE") is { Length: > 0 } path ? path : Path.Combine(LocalPaths.RepositoryRoot(), ".data", "keys.json");

    /// <summary>The keys in <paramref name="path"/>, made first when the file does not exist (<c>Created</c>).</summary>
    public static (ApiKeys Keys, bool Created) LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return (Load(path), false);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var keys = ApiKeys.Generate();
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, new Saved(keys.Function, keys.Admin));
        }

        try
        {
            // Whole or not at all: a second process starting at the same time keeps the first one's keys.
            File.Move(temporary, path, overwrite: false);
            return (keys, true);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return (Load(path), false);
        }
    }

    private static ApiKeys Load(string path)
    {
        Saved? saved;
        try
        {
            saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The keys file {path} is not valid JSON ({ex.Message.Split('\n')[0]}); delete it to make new keys.", ex);
        }

        return saved is { Function.Length: >= 16, Admin.Length: >= 16 } && saved.Function != saved.Admin
            ? new ApiKeys(saved.Function, saved.Admin)
            : throw new InvalidDataException($"The keys file {path} needs two different keys of at least 16 characters, \"function\" and \"admin\"; delete it to make new keys.");
    }

    private sealed record Saved(
        [property: System.Text.Json.Serialization.JsonPropertyName("function")] string Function,
        [property: System.Text.Json.Serialization.JsonPropertyName("admin")] string Admin);
}
