using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MlLifecycle.Api;

/// <summary>Who may call a route, as Azure Functions' authorization levels (anonymous, function, admin).</summary>
public enum Access
{
    /// <summary>Anyone (<c>/api/health</c>).</summary>
    Anonymous,

    /// <summary>The function key or the admin key: predictions, batch scoring, feedback and every read.</summary>
    Function,

    /// <summary>Only the admin key: what changes the registry or starts work (training, aliases, traffic, rollback, …).</summary>
    Admin,
}

/// <summary>Endpoint metadata: the access a route needs (<see cref="Access.Function"/> when absent).</summary>
public sealed record RouteAccess(Access Level)
{
    private static readonly Dictionary<(string Method, string Route), Access> Levels = new()
    {
        [("get", "health")] = Access.Anonymous,
        [("get", "dashboard")] = Access.Anonymous,
        [("post", "training")] = Access.Admin,
        [("post", "runs/{runId}/approval")] = Access.Admin,
        [("put", "models/{model}/aliases/{alias}")] = Access.Admin,
        [("post", "models/{model}/rollback")] = Access.Admin,
        [("put", "models/{model}/traffic")] = Access.Admin,
        [("put", "models/{model}/versions/{version:int}/stage")] = Access.Admin,
        [("post", "models/{model}/versions/{version:int}/reproduce")] = Access.Admin,
        [("post", "models/{model}/drift")] = Access.Admin,
    };

    /// <summary>
    /// The access a route of the HTTP contract needs in both hosts (the route as the Functions app writes it, without
    /// <c>/api/</c>): the admin key for what changes the registry or starts work (a drift check can start retraining),
    /// none for the health check, the function key for the rest.
    /// </summary>
    public static Access For(string method, string route) =>
        Levels.TryGetValue((method.ToLowerInvariant(), route), out var level) ? level : Access.Function;
}

/// <summary>
/// The local host's keys, checked as Azure Functions checks its own: a key in the <c>x-functions-key</c> header or the
/// <c>code</c> query parameter; the admin key (Azure's master key) passes every route. Keys are compared in constant
/// time, and never printed by <see cref="ToString"/>.
/// </summary>
public sealed record ApiKeys(string Function, string Admin)
{
    public const string Header = "x-functions-key";
    public const string Query = "code";

    /// <summary>Two new keys of 256 random bits each, base64url.</summary>
    public static ApiKeys Generate() => new(NewKey(), NewKey());

    /// <summary>The key a request presents: the header, else the query parameter; null when neither is there.</summary>
    public static string? Presented(HttpRequest request) =>
        request.Headers[Header].FirstOrDefault() is { Length: > 0 } header ? header
        : request.Query[Query].FirstOrDefault() is { Length: > 0 } code ? code : null;

    /// <summary>What a presented key grants: <see cref="Access.Admin"/>, <see cref="Access.Function"/>, or nothing (null).</summary>
    public Access? Grant(string? presented)
    {
        if (presented is null)
        {
            return null;
        }

        // Both comparisons always run, over hashes of equal length, so timing tells neither the key nor which one matched.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var admin = CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(Encoding.UTF8.GetBytes(Admin)));
        var function = CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(Encoding.UTF8.GetBytes(Function)));
        return admin ? Access.Admin : function ? Access.Function : null;
    }

    /// <summary>
    /// Null when a caller granted <paramref name="granted"/> (<see cref="Grant"/>) may call a route that needs
    /// <paramref name="needed"/>; else 401 (no key, or a wrong one) or 403 (the function key on an admin route).
    /// </summary>
    public static IResult? Authorize(Access? granted, bool keyPresented, Access needed) => (needed, granted) switch
    {
        (Access.Anonymous, _) => null,
        (_, null) when !keyPresented => Problems.Unauthorized($"This route needs a key: send the {(needed == Access.Admin ? "admin key" : "function key (or the admin key)")} in the {Header} header (or the {Query} query parameter)."),
        (_, null) => Problems.Unauthorized("The key is not valid."),
        (Access.Admin, Access.Function) => Problems.Forbidden("This route needs the admin key; the function key is for predictions, batch scoring, feedback and reads."),
        _ => null,
    };

    public override string ToString() => "ApiKeys { Function = ***, Admin = *** }";

    private static string NewKey() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
