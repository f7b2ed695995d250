using Microsoft.AspNetCore.Http;

namespace MlLifecycle.Api;

/// <summary>RFC 7807 problem details for every error the API returns.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail, string? field = null, int? row = null) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", extensions: Extensions(field, row));

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

/// <summary>A request that cannot be served, naming the offending field (and row).</summary>
public sealed class InvalidInputException(string message, string? field = null, int? row = null) : Exception(message)
{
    public string? Field { get; } = field;

    public int? Row { get; } = row;

    public IResult ToProblem() => Problems.BadRequest(Message, Field, Row);
}
