using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MlLifecycle.Api;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;

namespace MlLifecycle.IntegrationTests;

/// <summary>Keys and roles (function and admin keys, as Azure Functions checks them) and request rate limits on the local host.</summary>
[Collection(PlatformCollection.Name)]
public sealed class AccessTests(PlatformFixture platform)
{
    private const string NoModel = "no-such-model";

    /// <summary>Every route under <c>/api</c> of the local host, with its method and the access it asks for.</summary>
    private List<(string Method, string Route, Access Access)> LocalRoutes() =>
        [.. platform.Platform.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null)
            .Select(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single(), e.RoutePattern.RawText!, e.Metadata.GetMetadata<RouteAccess>()?.Level ?? Access.Function))];

    /// <summary>A URL for a route template, with names that exist nowhere (so an admitted request changes nothing).</summary>
    private static string Url(string route) => Regex.Replace(route.TrimStart('/'), @"\{(\w+)(:int)?\}", m => m.Groups[2].Success ? "1" : m.Groups[1].Value == "model" ? NoModel : $"no-such-{m.Groups[1].Value.ToLowerInvariant()}");

    private async Task<HttpStatusCode> SendAsync(string method, string url, string? key = null, bool inQuery = false)
    {
        using var http = new HttpClient { BaseAddress = platform.Platform.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), key is not null && inQuery ? $"{url}?code={Uri.EscapeDataString(key)}" : url);
        if (key is not null && !inQuery)
        {
            request.Headers.Add(ApiKeys.Header, key);
        }

        if (method is "POST" or "PUT")
        {
            request.Content = JsonContent.Create(new { });
        }

        using var response = await http.SendAsync(request);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return response.StatusCode;
    }

    [Fact]
    public async Task EveryRoute_AsksForTheKeyOfItsRole()
    {
        var keys = platform.Platform.Keys;
        var routes = LocalRoutes();

        // The admin routes are what changes the registry or starts work; health and the dashboard page (whose calls send a key) are open.
        Assert.Equal(
            ["POST /api/models/{model}/drift", "POST /api/models/{model}/rollback", "POST /api/models/{model}/versions/{version:int}/reproduce", "POST /api/runs/{runId}/approval", "POST /api/training", "PUT /api/models/{model}/aliases/{alias}", "PUT /api/models/{model}/traffic", "PUT /api/models/{model}/versions/{version:int}/stage"],
            routes.Where(r => r.Access == Access.Admin).Select(r => $"{r.Method} {r.Route}").Order(StringComparer.Ordinal));
        Assert.Equal(["GET /", "GET /api/dashboard", "GET /api/health"], routes.Where(r => r.Access == Access.Anonymous).Select(r => $"{r.Method} {r.Route}").Order(StringComparer.Ordinal));
        Assert.True(routes.Count >= 20, $"{routes.Count} routes");

        var wrong = ApiKeys.Generate().Admin;
        foreach (var (method, route, access) in routes.Where(r => r.Access != Access.Anonymous))
        {
            var url = Url(route);
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(method, url));
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(method, url, wrong));
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(method, url, keys.Function[..^1]));
            var withFunctionKey = await SendAsync(method, url, keys.Function, inQuery: true);
            if (access == Access.Admin)
            {
                Assert.Equal(HttpStatusCode.Forbidden, withFunctionKey);
            }
            else
            {
                Assert.DoesNotContain(withFunctionKey, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });
            }

            Assert.DoesNotContain(await SendAsync(method, url, keys.Admin), new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });
            Assert.DoesNotContain(await SendAsync(method, url, keys.Admin, inQuery: true), new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });
        }

        Assert.Equal(HttpStatusCode.OK, await SendAsync("GET", "api/health"));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync("GET", "api/no/such/route"));
    }

    [Fact]
    public async Task Predict_WithTheFunctionKey_Answers_AndMovingAnAliasNeedsTheAdminKey()
    {
        var keys = platform.Platform.Keys;
        using var http = new HttpClient { BaseAddress = platform.Platform.BaseAddress };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, keys.Function);

        var predicted = await http.PostAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/predict", PlatformFixture.CreditRow());
        var moved = await http.PutAsJsonAsync($"api/models/{PlatformFixture.CreditModel}/aliases/champion", new { version = 1 });

        Assert.Equal(HttpStatusCode.OK, predicted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, moved.StatusCode);
        var problem = await moved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Contains("admin key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverTheRate_Gets429WithRetryAfter_PerKeyAndPerAddressWithoutAKey_ThenIsAdmittedAgain()
    {
        var options = new LocalPlatformOptions(AzuriteOptions.Ephemeral, HttpPort: 0, WatchBlobs: false, StorageConnectionString: platform.Platform.StorageConnectionString, HostWorker: false)
        {
            Settings = { ["RateLimit:PerKey"] = "5", ["RateLimit:PerAddressWithoutKey"] = "3" },
        };
        await using var host = await LocalPlatform.StartAsync(options, NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        // Concurrent requests; a bucket refills once a second, so a burst that spans a refill may admit one more second's worth.
        async Task<(HttpResponseMessage[] Answers, int Seconds)> Burst(int count, string? key)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var answers = await Task.WhenAll(Enumerable.Range(0, count).Select(_ =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "api/models");
                if (key is not null)
                {
                    request.Headers.Add(ApiKeys.Header, key);
                }

                return http.SendAsync(request);
            }));
            return (answers, 1 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));
        }

        var (withKey, keySeconds) = await Burst(20, host.Keys.Function);
        var (admin, _) = await Burst(1, host.Keys.Admin); // another key, another bucket
        var (withoutKey, addressSeconds) = await Burst(12, null);

        Assert.InRange(withKey.Count(r => r.StatusCode == HttpStatusCode.OK), 5, 5 * keySeconds);
        var limited = withKey.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(20, withKey.Count(r => r.StatusCode == HttpStatusCode.OK) + limited.Count);
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.InRange(int.Parse(r.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 2));
        var problem = await limited[0].Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Contains("RateLimit:PerKey", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, admin.Single().StatusCode);
        Assert.InRange(withoutKey.Count(r => r.StatusCode == HttpStatusCode.Unauthorized), 3, 3 * addressSeconds);
        Assert.Equal(12, withoutKey.Count(r => r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests));
        Assert.Contains(withoutKey, r => r.StatusCode == HttpStatusCode.TooManyRequests);

        await Task.Delay(TimeSpan.FromSeconds(int.Parse(limited[^1].Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture)));
        Assert.Equal(HttpStatusCode.OK, (await Burst(1, host.Keys.Function)).Answers.Single().StatusCode);
    }
}
