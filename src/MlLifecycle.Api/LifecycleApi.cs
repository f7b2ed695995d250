using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using MlLifecycle.Core;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;

namespace MlLifecycle.Api;

/// <summary>
/// The HTTP contract (DESIGN.md §5) shared by both hosts: each method parses, validates, calls one service and maps
/// the answer to JSON or problem details. Hosts only route to these methods.
/// </summary>
public sealed class LifecycleApi(ArtifactStore store, ModelRegistry registry, ModelServer server, TrainingStarter starter, ShadowScorer shadows, InferenceLog log, TimeProvider time, IOptions<ServingOptions> serving)
{
    /// <summary>
    /// <c>POST /api/training</c> with <c>{"model"?, "dataset", "label"?, "seed"?, "spec"?}</c> → 202 and the run's
    /// status URL. <c>label</c> and <c>seed</c> override the same fields of <c>spec</c>.
    /// </summary>
    public async Task<IResult> StartTrainingAsync(HttpRequest request, DurableTaskClient client)
    {
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """a JSON object such as {"dataset": "credit/credit-g.csv", "label": "class"}""");
        if (problem is not null)
        {
            return problem;
        }

        if (String(body, "dataset") is not { Length: > 0 } dataset)
        {
            return Problems.BadRequest("Field 'dataset' is required: the blob name in the 'datasets' container, e.g. 'credit/credit-g.csv'.", "dataset");
        }

        dataset = dataset.StartsWith(ArtifactStore.Datasets + "/", StringComparison.Ordinal) ? dataset[(ArtifactStore.Datasets.Length + 1)..] : dataset;
        if (IsLocalPath(dataset))
        {
            return Problems.BadRequest(
                $"Field 'dataset' is a blob name in the '{ArtifactStore.Datasets}' container of the form '{{model}}/{{file}}' (.csv, .csv.gz or .parquet); '{dataset}' looks like a local file path. "
                + $"Local files are uploaded with the CLI (train <csv>) or to the '{ArtifactStore.Datasets}' container first.",
                "dataset");
        }

        var model = String(body, "model") ?? dataset.Split('/')[0];
        if (!ModelName.IsValid(model))
        {
            return Problems.BadRequest($"Model name '{model}' is invalid: {ModelName.Describe}.", "model");
        }

        ProblemSpec spec;
        try
        {
            spec = body.TryGetProperty("spec", out var raw) && raw.ValueKind != JsonValueKind.Null ? SpecReader.Parse(raw.GetRawText()) : new ProblemSpec();
            spec = String(body, "label") is { } label ? spec with { Label = label } : spec;
            if (body.TryGetProperty("seed", out var seed))
            {
                spec = seed.ValueKind == JsonValueKind.Number && seed.TryGetInt32(out var value)
                    ? spec with { Seed = value }
                    : throw new SpecException([new SpecError("seed", "must be a 32-bit integer")]);
            }

            SpecReader.Validate(spec);
        }
        catch (SpecException ex)
        {
            return Problems.BadRequest(ex.Message, ex.Errors[0].Field == "seed" ? "seed" : $"spec.{ex.Errors[0].Field}");
        }

        var properties = await store.TryGetPropertiesAsync(ArtifactStore.Datasets, dataset, request.HttpContext.RequestAborted);
        if (properties is null)
        {
            return Problems.NotFound($"Dataset blob '{ArtifactStore.Datasets}/{dataset}' does not exist. Upload it first.");
        }

        var training = new TrainingRequest(model, dataset, spec, properties.ETag.ToString());
        var runId = await starter.StartAsync(client, RunIds.ForRequest(training, properties.ETag.ToString()), training);
        var statusUrl = $"/api/runs/{runId}";
        return new HeaderResult(Results.Json(new { runId, statusUrl }, LifecycleJson.Options, statusCode: StatusCodes.Status202Accepted), "Location", statusUrl);
    }

    /// <summary>
    /// <c>POST /api/models/{model}/versions/{version}/reproduce</c> → 202 and the reproduction run's id: the version
    /// trained again from its recorded data, spec and seed, compared with it (<c>reproduction</c> in the run's status);
    /// 404 for no such version, 409 when its data is gone or changed.
    /// </summary>
    public async Task<IResult> ReproduceAsync(string model, int version, DurableTaskClient client, CancellationToken ct)
    {
        try
        {
            var runId = await starter.StartReproductionAsync(client, store, registry, model, version, ct);
            var statusUrl = $"/api/runs/{runId}";
            return new HeaderResult(Results.Json(new { runId, statusUrl, model, version }, LifecycleJson.Options, statusCode: StatusCodes.Status202Accepted), "Location", statusUrl);
        }
        catch (ReproductionRefusedException ex)
        {
            return ex.NotFound ? Problems.NotFound(ex.Message) : Problems.Conflict(ex.Message);
        }
    }

    /// <summary>
    /// <c>GET /</c> (local host) and <c>GET /api/dashboard</c>: one self-contained page over this API (models, aliases and
    /// traffic, versions, runs with their fold and trial tables, drift checks), anonymous itself; its calls send the key
    /// given in <c>?code=</c> or typed into it.
    /// </summary>
    public static IResult Dashboard() => Results.Text(DashboardHtml.Value, "text/html; charset=utf-8");

    private static readonly Lazy<string> DashboardHtml = new(() =>
    {
        using var stream = typeof(LifecycleApi).Assembly.GetManifestResourceStream("Dashboard.html")!;
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>
    /// <c>GET /api/models/{model}/versions/{version}/report</c>: the version's report, one self-contained HTML page
    /// (<see cref="VersionReport"/>) rendered from its stored artifacts; 404 for no such version.
    /// </summary>
    public async Task<IResult> ReportAsync(string model, int version, CancellationToken ct)
    {
        var folder = $"{model}/{version}";
        if (await registry.GetVersionAsync(model, version, ct) is not { } record || await store.TryReadAsync(ArtifactStore.Artifacts, $"{folder}/manifest.json", ct) is not { } manifest)
        {
            return Problems.NotFound($"{model} v{version} does not exist.");
        }

        var evaluation = await store.TryReadAsync(ArtifactStore.Artifacts, $"{folder}/evaluation.json", ct);
        var quality = await store.TryReadAsync(ArtifactStore.Artifacts, $"{folder}/quality.json", ct);
        var html = VersionReport.Render(Json(manifest)!.Value, Json(evaluation), Json(quality), await registry.ListTuningTrialsAsync(record.RunId, ct));
        return Results.Text(html, "text/html; charset=utf-8");

        static JsonElement? Json(BinaryData? data) => data is null ? null : JsonDocument.Parse(data.ToMemory()).RootElement.Clone();
    }

    /// <summary><c>GET /api/runs/{runId}</c>: status, stage, the trial tables so far and, when finished, the outcome.</summary>
    public async Task<IResult> GetRunAsync(string runId, DurableTaskClient client, CancellationToken ct)
    {
        var view = await RunView.GetAsync(client, runId, ct);
        return view is null
            ? Problems.NotFound($"Run '{runId}' does not exist.")
            : Results.Json(view with { Folds = await registry.ListTrialsAsync(runId, ct), Trials = await registry.ListTuningTrialsAsync(runId, ct) }, LifecycleJson.Options);
    }

    /// <summary>
    /// <c>POST /api/runs/{runId}/approval</c> with <c>{"approved": true|false, "by"?, "reason"?}</c>: answers a run
    /// waiting for approval (spec <c>deployment.requireApproval</c>) → 202; <c>409</c> when the run is not waiting.
    /// </summary>
    public async Task<IResult> ApproveRunAsync(string runId, HttpRequest request, DurableTaskClient client)
    {
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """{"approved": true, "by": "ann", "reason": "checked the report"}""");
        if (problem is not null)
        {
            return problem;
        }

        if (!body.TryGetProperty("approved", out var approved) || approved.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Problems.BadRequest("Field 'approved' is required: true to promote the version, false to keep it a candidate.", "approved");
        }

        var decision = new ApprovalDecision(approved.GetBoolean(), String(body, "by") ?? "api", String(body, "reason"));
        return await RunApproval.SendAsync(client, runId, decision, request.HttpContext.RequestAborted) switch
        {
            null => Results.Json(new { runId, decision.Approved, decision.By, decision.Reason }, LifecycleJson.Options, statusCode: StatusCodes.Status202Accepted),
            var refusal when refusal.StartsWith("Run '", StringComparison.Ordinal) && refusal.EndsWith("does not exist.", StringComparison.Ordinal) => Problems.NotFound(refusal),
            var refusal => Problems.Conflict(refusal),
        };
    }

    /// <summary><c>GET /api/models</c>.</summary>
    public async Task<IResult> ListModelsAsync(CancellationToken ct)
    {
        var models = new List<object>();
        foreach (var name in await registry.ListModelsAsync(ct))
        {
            var versions = await registry.ListVersionsAsync(name, ct);
            models.Add(new { model = name, aliases = await registry.GetAliasesAsync(name, ct), latestVersion = versions.Max(v => v.Version), versions = versions.Count });
        }

        return Results.Json(new { models }, LifecycleJson.Options);
    }

    /// <summary><c>GET /api/models/{model}</c>: aliases, versions with metrics, runs.</summary>
    public async Task<IResult> GetModelAsync(string model, CancellationToken ct)
    {
        var versions = await registry.ListVersionsAsync(model, ct);
        var runs = await registry.ListRunsAsync(model, ct);
        if (versions.Count == 0 && runs.Count == 0)
        {
            return Problems.NotFound(ModelServer.NoSuchModel(model));
        }

        return Results.Json(new { model, aliases = await registry.GetAliasesAsync(model, ct), versions, runs }, LifecycleJson.Options);
    }

    /// <summary>
    /// <c>POST /api/models/{model}/predict[?alias=A|version=N][&amp;key=K]</c> with one object or <c>{"rows":[…]}</c> →
    /// <c>{model, version, alias, variant, requestId, predictions}</c>. Without an alias or version the model's traffic
    /// split routes the request (sticky by the <c>X-Routing-Key</c> header or <c>key</c>), else its champion; a shadow
    /// version scores a copy off the request path. No storage call once the model is routed and loaded.
    /// </summary>
    public async Task<IResult> PredictAsync(string model, HttpRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        using var span = Telemetry.StartSampled("predict", serving.Value.TraceSampleRate);
        var ct = request.HttpContext.RequestAborted;
        var alias = request.Query["alias"].FirstOrDefault();
        int? number = null;
        if (request.Query["version"].FirstOrDefault() is { } text)
        {
            if (!int.TryParse(text, out var parsed))
            {
                return Problems.BadRequest($"Query parameter 'version' must be an integer, got '{text}'.", "version");
            }

            number = parsed;
        }

        var limits = serving.Value;
        var (body, problem) = await RequestBody.ReadJsonAsync(request, """a JSON object with one row's feature values, or {"rows": [...]} for several rows""", limits.MaxBodyBytes, " (Serving:MaxBodyBytes)", anyKind: true);
        if (problem is not null)
        {
            return problem;
        }

        Route? route;
        try
        {
            var key = request.Headers["X-Routing-Key"].FirstOrDefault() ?? request.Query["key"].FirstOrDefault();
            route = await server.RouteAsync(model, alias, number, ct, key);
        }
        catch (ModelIntegrityException ex)
        {
            return Problems.Unservable(ex.Message);
        }

        if (route is null)
        {
            return Problems.NotFound(await server.DescribeMissingAsync(model, alias, number, ct));
        }

        try
        {
            IReadOnlyList<string?[]> rows;
            IReadOnlyList<Prediction> predictions;
            try
            {
                (rows, predictions) = Score(route.Served, body, limits.MaxRows);
            }
            catch (Exception ex) when (ex is not InvalidInputException && route is { Variant: { } variant, Failure: null } && variant != ModelRegistry.Champion)
            {
                route = await server.FallBackAsync(model, variant, route.Served.Version, ex.Message, ct);
                if (route is null)
                {
                    throw;
                }

                (rows, predictions) = Score(route.Served, body, limits.MaxRows);
            }

            var served = route.Served;
            if (route.Shadow is { } shadow)
            {
                shadows.Schedule(model, shadow, body);
            }

            var at = time.GetUtcNow();
            var requestId = log.NewRequestId(at);
            if (log.ShouldLog(route.Variant is not null))
            {
                log.Prediction(model, new LoggedPrediction(requestId, at, served.Version, route.Alias, route.Variant, served.FeatureNames, rows, predictions) { Failure = route.Failure });
            }

            Observe(span, started, model, route, requestId, rows.Count);
            return Results.Json(new PredictResponse(model, served.Version, route.Alias, route.Variant, requestId, predictions), LifecycleJson.Options);
        }
        catch (InvalidInputException ex)
        {
            return ex.ToProblem();
        }
    }

    /// <summary>The prediction metrics (rows by model, version and variant; latency by model) and the sampled span's tags.</summary>
    private static void Observe(Activity? span, long started, string model, Route route, string requestId, int rows)
    {
        var version = route.Served.Version;
        var variant = route.Variant ?? route.Alias ?? $"v{version}";
        Telemetry.Predictions.Add(rows, new("model", model), new("version", version), new("variant", variant));
        Telemetry.PredictionDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("model", model));
        span?.SetTag("mllifecycle.model", model).SetTag("mllifecycle.version", version).SetTag("mllifecycle.variant", variant)
            .SetTag("mllifecycle.request_id", requestId).SetTag("mllifecycle.rows", rows);
    }

    private static (IReadOnlyList<string?[]> Rows, IReadOnlyList<Prediction> Predictions) Score(ServedModel served, JsonElement body, int maxRows)
    {
        var rows = PredictionInput.FromJson(body, served.Schema, served.Required, maxRows);
        return (rows, served.Predictor.Predict(rows));
    }

    /// <summary>Any other path under <c>/api</c>: a 404 problem rather than an empty answer.</summary>
    public static IResult NoSuchRoute(HttpRequest request) =>
        Problems.NotFound($"No route matches {request.Method} {request.Path}. See the README's HTTP API for the routes.");

    /// <summary><c>GET /api/health</c>: 200 when storage answers, 503 otherwise.</summary>
    public async Task<IResult> HealthAsync(CancellationToken ct)
    {
        try
        {
            await store.Service.GetPropertiesAsync(ct);
            return Results.Json(new { status = "healthy", storage = "ok", version = LifecycleInfo.CodeVersion, activities = ActivityTally.Snapshot() }, LifecycleJson.Options);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or HttpRequestException or AggregateException)
        {
            return Problems.Unavailable($"Storage is not reachable: {ex.Message}");
        }
    }

    /// <summary>A local file path ('/home/me/x.csv', './x.csv', 'C:\x.csv', 'x.csv') rather than a blob '{model}/{file}'.</summary>
    private static bool IsLocalPath(string dataset) =>
        !dataset.Contains('/', StringComparison.Ordinal) || dataset[0] is '/' or '.' or '~' || dataset.Contains('\\', StringComparison.Ordinal)
        || (dataset.Length > 1 && dataset[1] == ':');

    private static string? String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>The answer of <c>predict</c>: which model, version, alias and traffic variant answered, and the predictions.</summary>
public sealed record PredictResponse(string Model, int Version, string? Alias, string? Variant, string RequestId, IReadOnlyList<Prediction> Predictions);
