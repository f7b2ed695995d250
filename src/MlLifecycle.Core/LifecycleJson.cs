using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlLifecycle.Core;

/// <summary>The one JSON shape used for artifacts, records and HTTP bodies: camelCase, enums as strings.</summary>
public static class LifecycleJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Compact variant for single-line output (CLI <c>--json</c>, table columns).</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    public static string Serialize<T>(T value, bool compact = false) => JsonSerializer.Serialize(value, compact ? Compact : Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"Expected a {typeof(T).Name}, got null.");
}
