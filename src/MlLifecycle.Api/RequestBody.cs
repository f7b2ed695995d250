using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MlLifecycle.Api;

/// <summary>Reads request bodies as JSON, with a size limit, and maps what goes wrong to problem details.</summary>
internal static class RequestBody
{
    /// <summary>
    /// Parses the request body as JSON; instead a 400 problem when it is empty or not JSON, and a 413 problem when it is
    /// longer than <paramref name="maxBytes"/> (<paramref name="setting"/> names the limit's setting). With
    /// <paramref name="allowEmpty"/> an empty body is an undefined element (all fields absent).
    /// </summary>
    public static async Task<(JsonElement Body, IResult? Problem)> ReadJsonAsync(HttpRequest request, string expected, long maxBytes = 1024 * 1024, string setting = "", bool allowEmpty = false)
    {
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
            return (JsonSerializer.Deserialize<JsonElement>(content.ToStream()), null);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
            return (default, Problems.BadRequest($"The request body is not valid JSON{where}: send {expected}."));
        }
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
