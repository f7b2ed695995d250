using Microsoft.AspNetCore.Http;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Api;

/// <summary>RFC 7807 problem details for every error the API returns.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail, string? field = null, int? row = null) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", extensions: Extensions(field, row));

    public static IResult TooLarge(string detail, string? field = null) =>
        Results.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large", extensions: Extensions(field, null));

    public static IResult UnsupportedMediaType(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");

    /// <summary>The model version asked for exists but cannot be served (its artifact fails the integrity check).</summary>
    public static IResult Unservable(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Model integrity error");

    public static IResult Conflict(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static IResult PreconditionFailed(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed");

    /// <summary>Rows that cannot be scored: 400 naming the field (and row), or 413 when there are too many.</summary>
    public static IResult ToProblem(this InvalidInputException ex) =>
        ex.TooLarge ? TooLarge(ex.Message, ex.Field) : BadRequest(ex.Message, ex.Field, ex.Row);

    /// <summary>No key, or a key that is not valid.</summary>
    public static IResult Unauthorized(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");

    /// <summary>A valid key that does not open this route.</summary>
    public static IResult Forbidden(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    /// <summary>Over the request rate: 429 with <c>Retry-After</c> in whole seconds.</summary>
    public static IResult TooManyRequests(string detail, TimeSpan retryAfter) =>
        new HeaderResult(
            Results.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests"),
            "Retry-After",
            Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static IResult NotFound(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Unavailable(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable");

    private static Dictionary<string, object?>? Extensions(string? field, int? row)
    {
        if (field is null && row is null)
        {
            return null;
        }

        var extensions = new Dictionary<string, object?>();
        if (field is not null)
        {
            extensions["field"] = field;
        }

        if (row is not null)
        {
            extensions["row"] = row;
        }

        return extensions;
    }
}

/// <summary>A result with one more response header (Location, ETag).</summary>
internal sealed class HeaderResult(IResult inner, string name, string value) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers[name] = value;
        return inner.ExecuteAsync(httpContext);
    }
}
