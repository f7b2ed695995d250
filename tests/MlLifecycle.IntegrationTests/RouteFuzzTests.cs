using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MlLifecycle.Api;
using Xunit.Abstractions;

namespace MlLifecycle.IntegrationTests;

/// <summary>
/// A seeded fuzzer over every route that takes a body, on the local host over loopback: fields removed, added and
/// given wrong types, huge and non-finite numbers, deep nesting, raw bodies that are not JSON or not UTF-8, wrong
/// content types, oversize bodies and hostile route and query values. Every answer must be a success or problem
/// details with a 4xx the contract names; never a 5xx or a reset connection.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class RouteFuzzTests(PlatformFixture platform, ITestOutputHelper output)
{
    private const int Seed = 20261202;
    private const int Requests = 2400;

    private static readonly HashSet<int> Allowed = [200, 201, 202, 204, 400, 404, 409, 412, 413, 415, 422];

    /// <summary>JSON values of every kind, put where a field's value goes.</summary>
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-0", "-1", "1.5", "2147483648", "-9223372036854775809", "99999999999999999999999999",
        "1e308", "-1e308", "1e400", "-1e400", "5e-324", "1e-400", "\"\"", "\"x\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"",
        "\"2\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"😀\"", "\"' OR 1 eq 1\"", "\"../../etc/passwd\"",
        "\"%00\"", "\"<script>\"", $"\"{new string('a', 70_000)}\"", "[]", "{}", "[1,\"a\",null]", "{\"a\":{\"b\":[{}]}}",
        Nested(40), Nested(200), "[" + string.Join(',', Enumerable.Repeat("1e308", 5000)) + "]",
    ];

    /// <summary>Whole bodies that are not what any route expects, or not JSON, or not UTF-8.</summary>
    private static readonly byte[][] RawBodies =
    [
        [], " "u8.ToArray(), "null"u8.ToArray(), "[]"u8.ToArray(), "\"text\""u8.ToArray(), "123"u8.ToArray(), "{"u8.ToArray(),
        "{\"a\":"u8.ToArray(), "NaN"u8.ToArray(), "Infinity"u8.ToArray(), "{'a':1}"u8.ToArray(), "{\"a\":1,}"u8.ToArray(),
        "{\"a\":1}{\"b\":2}"u8.ToArray(), "{\"a\":1 /* c */}"u8.ToArray(), [0xEF, 0xBB, 0xBF, .. "{}"u8], [.. "{\"x\":\""u8, 0xC3, 0x28, .. "\"}"u8],
        [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00], [.. "{\"rows\":["u8, 0xF0, 0x28, 0x8C, 0x28, .. "]}"u8], Encoding.UTF8.GetBytes(Nested(100_000)),
        Encoding.UTF8.GetBytes("{\"a\":1,\"a\":2}"),
    ];

    private static readonly string[] ContentTypes =
    [
        "text/xml", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream",
        "image/png", "application/json; charset=utf-16", "application/problem+json", "text/csv",
    ];

    /// <summary>Values for a route's model, alias or run id, and query strings.</summary>
    private static readonly string[] Names =
    [
        "..", "%2e%2e", "a%00b", new string('m', 3000), "%C3%BCn%C3%AFcode", "%F0%9F%98%80", "with%20space", "-", "_", "a%2Fb", "%FF%FE", "CON",
        "'or'1'eq'1", "%27%29",
    ];

    private static readonly string[] Queries =
    [
        "?version=abc", "?version=-1", "?version=99999999999", "?version=", "?alias=%00", "?alias=", "?alias=" + new string('a', 2000),
        "?version=1&version=2", "?key=%FF", "?alias=no-such-alias", "?version=1.5",
    ];

    private sealed record Target(string Method, string Path, Func<JsonObject> Body);

    private sealed record FuzzCase(string Kind, HttpMethod Method, string Url, byte[]? Body, string? ContentType);

    [Fact]
    public async Task SeededFuzz_OfEveryRouteWithABody_Answers2xxOr4xxProblemDetails_NeverA5xxOrAReset()
    {
        var model = await platform.NewModelAsync(versions: 2, prefix: "fuzz");
        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Requests).Select(_ => Next(random, Targets(model))).ToList();
        var statuses = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        using var http = new HttpClient { BaseAddress = platform.Platform.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, platform.Platform.Keys.Admin);

        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (fuzz, ct) =>
        {
            var outcome = await SendAsync(http, fuzz);
            statuses.AddOrUpdate(outcome.Key, 1, (_, n) => n + 1);
            if (outcome.Failure is { } failure)
            {
                failures.Enqueue($"{fuzz.Kind} {fuzz.Method} {Shorten(fuzz.Url)} [{fuzz.ContentType}] {Shorten(fuzz.Body is null ? "" : Encoding.UTF8.GetString(fuzz.Body))}: {failure}");
            }
        });

        output.WriteLine($"{cases.Count} requests, seed {Seed}: {string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} × {s.Value}"))}");
        foreach (var failure in failures.Take(20))
        {
            output.WriteLine(failure);
        }

        Assert.Empty(failures);
        Assert.All(new[] { "400", "404", "413", "415" }, status => Assert.True(statuses.ContainsKey(status), $"the fuzz never got a {status}"));
        using var health = await http.GetAsync("api/health");
        using var predict = await http.PostAsJsonAsync($"api/models/{model}/predict", PlatformFixture.CreditRow());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, predict.StatusCode);
    }

    /// <summary>A status key for the tally, and why the answer breaks the contract (null when it keeps it).</summary>
    private static async Task<(string Key, string? Failure)> SendAsync(HttpClient http, FuzzCase fuzz)
    {
        using var request = new HttpRequestMessage(fuzz.Method, fuzz.Url);
        if (fuzz.Body is not null)
        {
            request.Content = new ByteArrayContent(fuzz.Body);
            if (fuzz.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", fuzz.ContentType);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            return ("reset", $"no answer: {ex.Message}");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (!Allowed.Contains(status))
            {
                return ($"{status}", $"status {status}: {Shorten(text)}");
            }

            if (status < 400)
            {
                return ($"{status} {fuzz.Method} …/{fuzz.Url.Split('?')[0].Split('/')[^1]}", null);
            }

            // Kestrel refuses a NUL in the path itself, before any middleware, with a bare 400.
            if (status == 400 && fuzz.Url.Contains("%00", StringComparison.Ordinal) && !fuzz.Url.Contains('?', StringComparison.Ordinal) && text.Length == 0)
            {
                return ("400 (Kestrel)", null);
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return ($"{status}", $"status {status} with content type '{response.Content.Headers.ContentType}', not problem details");
            }

            var problem = JsonDocument.Parse(text).RootElement;
            var ok = problem.TryGetProperty("status", out var s) && s.GetInt32() == status
                && problem.TryGetProperty("title", out var title) && title.GetString() is { Length: > 0 }
                && problem.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 };
            return ($"{status}", ok ? null : $"problem details without status, title and detail: {Shorten(text)}");
        }
    }

    private static List<Target> Targets(string model) =>
    [
        new("POST", $"api/models/{model}/predict", () => Json(PlatformFixture.CreditRow())),
        new("POST", $"api/models/{model}/predict", () => new JsonObject { ["rows"] = new JsonArray(Json(PlatformFixture.CreditRow()), Json(PlatformFixture.CreditRow(24, "no checking"))) }),
        new("POST", $"api/models/{model}/batch", () => new JsonObject { ["input"] = $"scoring/{model}/none.csv" }),
        new("POST", $"api/models/{model}/feedback", () => new JsonObject { ["requestId"] = "no-such-request", ["actual"] = "good" }),
        new("POST", $"api/models/{model}/feedback", () => new JsonObject { ["feedback"] = new JsonArray(new JsonObject { ["requestId"] = "r", ["actual"] = "bad" }) }),
        new("POST", "api/training", () => new JsonObject { ["dataset"] = "fuzz/none.csv", ["label"] = "class", ["spec"] = new JsonObject { ["seed"] = 3 } }),
        new("PUT", $"api/models/{model}/aliases/challenger", () => new JsonObject { ["version"] = 2, ["reason"] = "fuzz" }),
        new("PUT", $"api/models/{model}/traffic", () => new JsonObject { ["champion"] = 90, ["challenger"] = 10 }),
        new("POST", $"api/models/{model}/rollback", () => new JsonObject { ["alias"] = "challenger", ["reason"] = "fuzz" }),
        new("PUT", $"api/models/{model}/versions/2/stage", () => new JsonObject { ["stage"] = "candidate", ["reason"] = "fuzz" }),
        new("POST", $"api/models/{model}/drift", () => new JsonObject { ["data"] = $"monitoring/{model}/none.csv" }),
        new("POST", $"api/models/{model}/drift", () => new JsonObject { ["hours"] = 1 }),
        new("POST", "api/runs/no-such-run/approval", () => new JsonObject { ["approved"] = true, ["by"] = "fuzz", ["reason"] = "fuzz" }),
    ];

    private static FuzzCase Next(Random random, List<Target> targets)
    {
        var target = targets[random.Next(targets.Count)];
        var method = new HttpMethod(target.Method);
        var body = target.Body();
        var roll = random.Next(100);
        if (roll < 45)
        {
            var kind = Mutate(random, body);
            return new(kind, method, target.Path, Text(body), "application/json");
        }

        if (roll < 63)
        {
            return new("raw body", method, target.Path, RawBodies[random.Next(RawBodies.Length)], random.Next(2) == 0 ? "application/json" : null);
        }

        if (roll < 75)
        {
            return new("content type", method, target.Path, Encoding.UTF8.GetBytes(body.ToJsonString()), ContentTypes[random.Next(ContentTypes.Length)]);
        }

        if (roll < 77)
        {
            // Over the 1 MiB limit of most routes, and over predict's 16 MiB (Serving:MaxBodyBytes) half the time.
            var size = target.Path.EndsWith("/predict", StringComparison.Ordinal) && random.Next(2) == 0 ? 17 << 20 : 3 << 19;
            return new("oversize", method, target.Path, [.. "{\"pad\":\""u8, .. Enumerable.Repeat((byte)'a', size), .. "\"}"u8], "application/json");
        }

        var url = random.Next(3) == 0
            ? target.Path + Queries[random.Next(Queries.Length)]
            : ReplaceName(target.Path, Names[random.Next(Names.Length)], random);
        return new("route", method, url, Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json");
    }

    /// <summary>Removes a field, adds one, or gives one (maybe inside <c>rows</c>) a value of another kind; says which.</summary>
    private static string Mutate(Random random, JsonObject body)
    {
        var target = body["rows"] is JsonArray { Count: > 0 } rows && random.Next(2) == 0 ? (JsonObject)rows[random.Next(rows.Count)]! : body;
        var fields = target.Select(f => f.Key).ToList();
        switch (random.Next(3))
        {
            case 0 when fields.Count > 0:
                target.Remove(fields[random.Next(fields.Count)]);
                return "missing field";
            case 1:
                target[random.Next(2) == 0 ? $"extra{random.Next(1000)}" : "\u0000\ud7ff"] = Value(random);
                return "extra field";
            default:
                target[fields.Count > 0 ? fields[random.Next(fields.Count)] : "x"] = Value(random);
                return "wrong type";
        }
    }

    /// <summary>The path with its model (or alias, or run id) segment replaced by <paramref name="name"/>.</summary>
    private static string ReplaceName(string path, string name, Random random)
    {
        var segments = path.Split('/');
        var named = Enumerable.Range(0, segments.Length).Where(i => i > 0 && segments[i - 1] is "models" or "aliases" or "runs" or "versions").ToList();
        segments[named.Count == 0 ? segments.Length - 1 : named[random.Next(named.Count)]] = name;
        return string.Join('/', segments);
    }

    /// <summary>A placeholder for one of <see cref="Values"/>, put in as raw text by <see cref="Text"/> (a lone surrogate cannot pass through a JsonNode).</summary>
    private static JsonNode Value(Random random) => JsonValue.Create($"@@value-{random.Next(Values.Length)}@@");

    private static byte[] Text(JsonObject body) =>
        Encoding.UTF8.GetBytes(Regex.Replace(body.ToJsonString(), "\"@@value-(\\d+)@@\"", m => Values[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)]));

    private static JsonObject Json(object value) => JsonSerializer.SerializeToNode(value)!.AsObject();

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static string Shorten(string text) => text.Length > 160 ? text[..160] + $"… ({text.Length} chars)" : text;
}
