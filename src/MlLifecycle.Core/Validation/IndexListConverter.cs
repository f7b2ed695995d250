using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlLifecycle.Core.Validation;

/// <summary>
/// Row indexes in <c>split.json</c> as one base64 string of zigzag-delta varints: ascending indexes take about a byte
/// each, where a JSON array of numbers takes up to eight (ten million rows: 13 MB, not 80).
/// </summary>
public sealed class IndexListConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return JsonSerializer.Deserialize<int[]>(ref reader) ?? []; // a plan written before this encoding
        }

        var bytes = reader.GetBytesFromBase64();
        List<int> indexes = [];
        var (previous, position) = (0L, 0);
        while (position < bytes.Length)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            previous += (long)(value >> 1) ^ -(long)(value & 1);
            indexes.Add(checked((int)previous));
        }

        return [.. indexes];
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        using var buffer = new MemoryStream(value.Length + 16);
        var previous = 0L;
        foreach (var index in value)
        {
            var delta = index - previous;
            var zigzag = (ulong)((delta << 1) ^ (delta >> 63));
            previous = index;
            while (zigzag >= 0x80)
            {
                buffer.WriteByte((byte)(zigzag | 0x80));
                zigzag >>= 7;
            }

            buffer.WriteByte((byte)zigzag);
        }

        writer.WriteBase64StringValue(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }
}
