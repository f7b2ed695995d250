using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace MlLifecycle.Api;

/// <summary>Reads request bodies as JSON, with a size limit, and maps what goes wrong to problem details.</summary>
internal static class RequestBody
{
    /// <summary>
    /// Parses the request body as JSON; instead a 400 problem when it is empty or not JSON, and a 413 problem when it is
    /// longer than <paramref name="maxBytes"/> (<paramref name="setting"/> names the limit's setting). With
    /// <paramref name="allowEmpty"/> an empty body is an undefined element (all fields absent). Unless
    /// <paramref name="anyKind"/>, the body must be a JSON object.
    /// </summary>
    public static async Task<(JsonElement Body, IResult? Problem)> ReadJsonAsync(HttpRequest request, string expected, long maxBytes = 1024 * 1024, string setting = "", bool allowEmpty = false, bool anyKind = false)
    {
        if (!IsJson(request.ContentType))
        {
            return (default, Problems.UnsupportedMediaType($"The request body is '{request.ContentType}': send {expected} with Content-Type: application/json."));
        }

        var (content, length) = await ReadBoundedAsync(request, maxBytes);
        if (content is null)
        {
            return (default, length < 0
                ? Problems.BadRequest("The request body ended early: the client closed the connection.")
                : Problems.TooLarge($"The request body is {length} bytes; the limit is {maxBytes} bytes{setting}. Send fewer rows per request."));
        }

        if (content.ToMemory().Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            if (allowEmpty)
            {
                return (default, null);
            }

            return (default, Problems.BadRequest($"The request body is empty: send {expected}."));
        }

        try
        {
            if (UnreadableString(content) is { } at)
            {
                return (default, Problems.BadRequest($"The request body has a string at byte {at} that is not valid UTF-8 or has an unpaired surrogate escape (such as \\ud800): send {expected}."));
            }

            var body = JsonSerializer.Deserialize<JsonElement>(content.ToStream());
            return anyKind || body.ValueKind == JsonValueKind.Object
                ? (body, null)
                : (default, Problems.BadRequest($"The request body is a JSON {body.ValueKind.ToString().ToLowerInvariant()}, not an object: send {expected}."));
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
            return (default, Problems.BadRequest($"The request body is not valid JSON{where}: send {expected}."));
        }
    }

    /// <summary>
    /// Where the first string or property name is that is not valid UTF-8, or has an escaped unpaired surrogate, or null.
    /// Such JSON parses, but no .NET string can hold it, so every handler reading the field would fail; one reader pass
    /// finds it first (unescaped strings are only validated, not decoded).
    /// </summary>
    /// <exception cref="JsonException">The body is not valid JSON.</exception>
    private static long? UnreadableString(BinaryData content)
    {
        var reader = new Utf8JsonReader(content.ToMemory().Span);
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                continue;
            }

            if (!reader.ValueIsEscaped)
            {
                if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                {
                    return reader.TokenStartIndex;
                }

                continue;
            }

            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return reader.TokenStartIndex;
            }
        }

        return null;
    }

    /// <summary>
    /// No content type (curl's <c>--data-binary</c>), JSON (<c>application/json</c>, <c>application/*+json</c>,
    /// <c>text/json</c>) or <c>text/plain</c>; a form, XML or binary body is refused rather than parsed as JSON.
    /// </summary>
    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
        {
            return false;
        }

        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Reads the body up to <paramref name="maxBytes"/>. A longer body is read to its end and dropped (up to 8× the
    /// limit), so the client gets the 413 instead of a reset connection: content null with its length. Content null
    /// with length -1: the client went away mid-body, which is not a server error.
    /// </summary>
    private static async Task<(BinaryData? Content, long Length)> ReadBoundedAsync(HttpRequest request, long maxBytes)
    {
        var drainLimit = maxBytes * 8;
        if (request.ContentLength > drainLimit)
        {
            return (null, request.ContentLength.Value);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = drainLimit;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        long length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
                if (length <= maxBytes)
                {
                    buffer.Write(chunk, 0, read);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Math.Max(length, drainLimit + 1));
        }
        catch (Exception ex) when (ex is BadHttpRequestException or OperationCanceledException or IOException)
        {
            return (null, -1);
        }

        return length > maxBytes ? (null, length) : (new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)), length);
    }
}
