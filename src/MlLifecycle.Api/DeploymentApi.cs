using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MlLifecycle.Core;
using MlLifecycle.Storage;

namespace MlLifecycle.Api;

/// <summary>
/// Deployment control over HTTP, shared by both hosts: aliases (ETag-guarded moves), rollback, the traffic split, version
/// stages and the deployment history. Every change is recorded with who made it and why, and applied to this process's
/// routing at once (other processes see it within <see cref="ServingOptions.RouteTtl"/>).
/// </summary>
public sealed class DeploymentApi(ModelRegistry registry, ModelServer server, Deployments deployments)
{
    /// <summary><c>GET /api/models/{model}/aliases/{alias}</c> → the alias, with its ETag header.</summary>
    public async Task<IResult> GetAliasAsync(string model, string alias, CancellationToken ct) =>
        await registry.GetAliasAsync(model, alias, ct) is { } state
            ? WithETag(Results.Json(AliasBody(model, state), LifecycleJson.Options), state.ETag)
            : Problems.NotFound(await server.DescribeMissingAsync(model, alias, null, ct));

    /// <summary>
    /// <c>PUT /api/models/{model}/aliases/{alias}</c> with <c>{"version": N, "reason"?, "by"?}</c> and optionally
    /// <c>If-Match</c>. The version must be registered, not archived, and load (its SHA-256 checked) before the alias moves.
    /// </summary>
    public async Task<IResult> SetAliasAsync(string model, string alias, HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """{"version": 3, "reason": "why"}""");
        if (problem is not null)
        {
            return problem;
        }

        if (!body.TryGetProperty("version", out var number) || number.ValueKind != JsonValueKind.Number || !number.TryGetInt32(out var version))
        {
            return Problems.BadRequest("Field 'version' is required: the version number the alias should point at.", "version");
        }

        var ifMatch = request.Headers.IfMatch.FirstOrDefault() is { Length: > 0 } etag && etag != "*" ? etag : null;
        return await MapAsync(async () =>
        {
            var state = await deployments.MoveAliasAsync(model, alias, version, ifMatch, ActorOf(body), ct);
            return WithETag(Results.Json(AliasBody(model, state), LifecycleJson.Options), state.ETag);
        });
    }

    /// <summary><c>POST /api/models/{model}/rollback</c> with <c>{"alias"?: "champion", "reason"?, "by"?}</c>: the alias goes back to its previous version.</summary>
    public async Task<IResult> RollbackAsync(string model, HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """{"alias": "champion", "reason": "why"}""", allowEmpty: true);
        if (problem is not null)
        {
            return problem;
        }

        var alias = Text(body, "alias") ?? ModelRegistry.Champion;
        return await MapAsync(async () =>
        {
            var (restored, from) = await deployments.RollbackAsync(model, alias, ActorOf(body), ct);
            return Results.Json(new { model, alias, version = restored, rolledBackFrom = from }, LifecycleJson.Options);
        });
    }

    /// <summary><c>GET /api/models/{model}/traffic</c>: the split, or <c>{}</c> when requests go to the champion.</summary>
    public async Task<IResult> GetTrafficAsync(string model, CancellationToken ct) =>
        Results.Json(TrafficBody(model, await registry.GetTrafficAsync(model, ct)), LifecycleJson.Options);

    /// <summary>
    /// <c>PUT /api/models/{model}/traffic</c> with alias weights and an optional shadow version, e.g.
    /// <c>{"champion": 90, "challenger": 10, "shadow": "7"}</c> (<c>reason</c> and <c>by</c> are recorded); <c>{}</c> clears it.
    /// </summary>
    public async Task<IResult> SetTrafficAsync(string model, HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """{"champion": 90, "challenger": 10, "shadow": "7"}""");
        if (problem is not null)
        {
            return problem;
        }

        Dictionary<string, int> weights = new(StringComparer.Ordinal);
        int? shadow = null;
        foreach (var property in body.EnumerateObject().Where(p => p.Name is not ("reason" or "by")))
        {
            if (property.Name == "shadow")
            {
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (!int.TryParse(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText(), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                {
                    return Problems.BadRequest($"Field 'shadow' must be a version number, got {property.Value.GetRawText()}.", "shadow");
                }

                shadow = version;
            }
            else if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var weight) || weight < 0)
            {
                return Problems.BadRequest($"The weight of '{property.Name}' must be a non-negative integer, got {property.Value.GetRawText()}.", property.Name);
            }
            else
            {
                weights[property.Name] = weight;
            }
        }

        return await MapAsync(async () => Results.Json(TrafficBody(model, await deployments.SetTrafficAsync(model, weights, shadow, ActorOf(body), ct)), LifecycleJson.Options));
    }

    /// <summary><c>GET /api/models/{model}/history</c>: deployment changes, newest first.</summary>
    public async Task<IResult> GetHistoryAsync(string model, CancellationToken ct) =>
        Results.Json(new { model, changes = await registry.ListHistoryAsync(model, ct: ct) }, LifecycleJson.Options);

    /// <summary>
    /// <c>PUT /api/models/{model}/versions/{version}/stage</c> with <c>{"stage": "approved|candidate|archived", "reason"?, "by"?}</c>.
    /// A version an alias or the shadow points at cannot be archived.
    /// </summary>
    public async Task<IResult> SetStageAsync(string model, int version, HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """{"stage": "archived", "reason": "why"}""");
        if (problem is not null)
        {
            return problem;
        }

        var stage = Text(body, "stage") ?? "";
        return await MapAsync(async () =>
        {
            await deployments.SetStageAsync(model, version, stage, ActorOf(body), ct);
            return Results.Json(new { model, version, stage }, LifecycleJson.Options);
        });
    }

    /// <summary>Runs a deployment change and maps its refusal to problem details.</summary>
    private static async Task<IResult> MapAsync(Func<Task<IResult>> change)
    {
        try
        {
            return await change();
        }
        catch (DeploymentException ex)
        {
            return ex.Status switch
            {
                StatusCodes.Status404NotFound => Problems.NotFound(ex.Message),
                StatusCodes.Status409Conflict => Problems.Conflict(ex.Message),
                StatusCodes.Status412PreconditionFailed => Problems.PreconditionFailed(ex.Message),
                _ => Problems.BadRequest(ex.Message, ex.Field),
            };
        }
        catch (ModelIntegrityException ex)
        {
            return Problems.Unservable(ex.Message);
        }
    }

    private static Actor ActorOf(JsonElement body) => new(Text(body, "by") ?? "api", Text(body, "reason"));

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static object AliasBody(string model, AliasState state) =>
        new { model, alias = state.Alias, version = state.Version, previous = state.Previous, state.UpdatedAt, state.UpdatedBy, state.Reason, etag = state.ETag };

    private static object TrafficBody(string model, TrafficSplit? traffic) =>
        new { model, weights = traffic?.Weights ?? new Dictionary<string, int>(), shadow = traffic?.Shadow };

    private static IResult WithETag(IResult inner, string etag) => new HeaderResult(inner, "ETag", etag);
}
