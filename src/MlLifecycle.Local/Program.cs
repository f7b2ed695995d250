using System.CommandLine;
using System.Runtime.InteropServices;
using MlLifecycle.Api;
using MlLifecycle.Local.Cli;
using MlLifecycle.Local.Hosting;
using MlLifecycle.Local.Infrastructure;

// The instance's memory, not this machine's: what a run may hold is what it may hold in Azure.
MlLifecycle.Workflows.MemoryLimit.Apply(Environment.GetEnvironmentVariable("MlLifecycle__MemoryBudgetMb"));

var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last stdout line.", Recursive = true };
var verbose = new Option<bool>("--verbose", "-v") { Description = "Log what the platform does (stderr).", Recursive = true };
var root = new RootCommand("MlLifecycle: train, register, serve and watch ML.NET models on Azure Functions + Durable Task — locally.") { json, verbose };

var demo = new Command("demo", "Tour the whole lifecycle on the bundled credit-g sample: upload, quality, CV and tuning, the champion, predictions over HTTP, then drift, the alert, retraining, a canary and the promotion.");
demo.SetAction((p, ct) => Guard(() => DemoCommand.RunAsync(p.GetValue(verbose), ct)));
root.Subcommands.Add(demo);

var port = new Option<int>("--port") { Description = "HTTP port.", DefaultValueFactory = _ => 7071 };
var serve = new Command("serve", "Run the local platform: HTTP API, blob triggers on datasets/ (training) and scoring/ (batch scoring), the scheduled check, until Ctrl+C.") { port };
serve.SetAction((p, ct) => Guard(() => ServeAsync(p.GetValue(port), ct)));
root.Subcommands.Add(serve);

var keys = new Command("keys", "Print the HTTP API's keys (x-functions-key header or code query parameter): the function key for predictions, batch scoring, feedback and reads; the admin key for everything.");
keys.SetAction((p, ct) => Guard(() => Task.FromResult(Commands.Keys(p.GetValue(json)))));
root.Subcommands.Add(keys);

var csv = new Argument<FileInfo?>("file") { Description = "Dataset: a CSV file with a header row, gzip-compressed (.csv.gz) or not, or a Parquet file.", Arity = ArgumentArity.ZeroOrOne };
var label = new Option<string?>("--label") { Description = "Label column (default: the last column)." };
var modelOption = new Option<string?>("--model") { Description = "Model name (default: from the file name)." };
var specOption = new Option<FileInfo?>("--spec") { Description = "Problem spec (lifecycle.json); stored as datasets/{model}/lifecycle.json." };
var reproduce = new Option<string[]>("--reproduce") { Description = "<model> <version>: train that version again from its recorded data, spec and seed, and compare the model bytes and test metrics (registers nothing).", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
var train = new Command("train", "Upload a dataset (.csv, .csv.gz, .parquet) to datasets/{model}/ and follow the training run it starts; or --reproduce a version.") { csv, label, modelOption, specOption, reproduce };
train.SetAction((p, ct) => Guard(() => p.GetValue(reproduce) is [var reproduced, var reproducedVersion]
    ? Commands.ReproduceAsync(reproduced, int.TryParse(reproducedVersion, out var number) ? number : throw new CliException($"--reproduce takes a model and a version number, not '{reproducedVersion}'."), p.GetValue(json), p.GetValue(verbose), ct)
    : Commands.TrainAsync(p.GetValue(csv) ?? throw new CliException("train needs a dataset file: .csv, .csv.gz or .parquet (or --reproduce <model> <version>)."), p.GetValue(label), p.GetValue(modelOption), p.GetValue(specOption), p.GetValue(json), p.GetValue(verbose), ct)));
root.Subcommands.Add(train);

var modelArgument = new Argument<string>("model") { Description = "Model name." };
var input = new Option<FileInfo>("--input") { Description = "CSV or JSON rows to predict.", Required = true };
var output = new Option<FileInfo?>("--output") { Description = "Output CSV (default: stdout)." };
var alias = new Option<string?>("--alias") { Description = "Alias to predict with (default: champion)." };
var version = new Option<int?>("--version") { Description = "Version to predict with (instead of an alias)." };
var predict = new Command("predict", "Predict rows with a registered model: input columns + PredictedLabel or Score (+ probabilities).") { modelArgument, input, output, alias, version };
predict.SetAction((p, ct) => Guard(() => Commands.PredictAsync(p.GetValue(modelArgument)!, p.GetValue(input)!, p.GetValue(output), p.GetValue(alias), p.GetValue(version), p.GetValue(json), p.GetValue(verbose), ct)));
root.Subcommands.Add(predict);

var action = new Argument<string>("action") { Description = "list | show | promote | rollback | traffic | history | approve | archive" };
action.AcceptOnlyFromAmong("list", "show", "promote", "rollback", "traffic", "history", "approve", "archive");
var optionalModel = new Argument<string?>("model") { Description = "Model name (all but list).", Arity = ArgumentArity.ZeroOrOne };
var optionalVersion = new Argument<int?>("version") { Description = "Version (promote, approve, archive).", Arity = ArgumentArity.ZeroOrOne };
var aliasName = new Option<string>("--alias") { Description = "Alias to move (promote, rollback).", DefaultValueFactory = _ => "champion" };
var reason = new Option<string?>("--reason") { Description = "Why (kept in the deployment history)." };
var split = new Option<string?>("--split") { Description = "Traffic split as alias=weight pairs, e.g. champion=90,challenger=10 (traffic)." };
var shadow = new Option<int?>("--shadow") { Description = "Version that scores a copy of routed requests, unseen; 0 removes it (traffic)." };
var models = new Command("models", "List and show models; move aliases, roll back, split traffic, approve or archive versions; show the deployment history.") { action, optionalModel, optionalVersion, aliasName, reason, split, shadow };
models.SetAction((p, ct) => Guard(() => Commands.ModelsAsync(p.GetValue(action)!, p.GetValue(optionalModel), p.GetValue(optionalVersion), p.GetValue(aliasName)!, p.GetValue(reason), p.GetValue(split), p.GetValue(shadow), p.GetValue(json), p.GetValue(verbose), ct)));
root.Subcommands.Add(models);

var runId = new Argument<string>("runId") { Description = "Run id (printed by train, returned by POST /api/training)." };
var status = new Command("status", "Show a run's status, stage and outcome.") { runId };
status.SetAction((p, ct) => Guard(() => Commands.StatusAsync(p.GetValue(runId)!, p.GetValue(json), p.GetValue(verbose), ct)));
root.Subcommands.Add(status);

var approvedRun = new Argument<string>("runId") { Description = "A run waiting for approval (spec deployment.requireApproval)." };
var reject = new Option<bool>("--reject") { Description = "Keep the version a candidate instead of promoting it." };
var approve = new Command("approve", "Approve (or --reject) the promotion of a run's version that waits for approval.") { approvedRun, reject, reason };
approve.SetAction((p, ct) => Guard(() => Commands.ApproveAsync(p.GetValue(approvedRun)!, !p.GetValue(reject), p.GetValue(reason), p.GetValue(json), p.GetValue(verbose), ct)));
root.Subcommands.Add(approve);

var driftModel = new Argument<string>("model") { Description = "Model whose champion to check." };
var driftData = new Option<FileInfo?>("--data") { Description = "CSV to check (uploaded to monitoring/{model}/); with the label column, realized metrics too. Default: the prediction log." };
var driftHours = new Option<double?>("--hours") { Description = "Hours of the prediction log to check, up to now (default 24)." };
var drift = new Command("drift", "Check the champion for data, prediction and concept drift against its training baseline.") { driftModel, driftData, driftHours };
drift.SetAction((p, ct) => Guard(() => Commands.DriftAsync(p.GetValue(driftModel)!, p.GetValue(driftData), p.GetValue(driftHours), p.GetValue(json), p.GetValue(verbose), ct)));
root.Subcommands.Add(drift);

// One place handles Ctrl+C and SIGTERM: the first cancels the verb, which hands its work back and stops what it
// started; if that takes over 10 s, or a second signal comes, the process exits at once.
using var stopping = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stopping.Token);

void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (stopping.IsCancellationRequested)
    {
        Environment.Exit(130);
    }

    stopping.Cancel();
    _ = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith(_ => Environment.Exit(130), TaskScheduler.Default);
}

static async Task<int> Guard(Func<Task<int>> run)
{
    try
    {
        return await run();
    }
    catch (OperationCanceledException)
    {
        return Commands.Fail("cancelled");
    }
    catch (CliException ex)
    {
        return Commands.Fail(ex.Message);
    }
    catch (Exception ex)
    {
        return Commands.Fail($"{ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
    }
}

static async Task<int> ServeAsync(int port, CancellationToken ct)
{
    if (port != 0 && !PortIsFree(port))
    {
        throw new CliException($"Port {port} is in use (another serve?): stop it, or choose another with --port.");
    }

    var keyFile = KeyFile.DefaultPath();
    var (keys, created) = KeyFile.LoadOrCreate(keyFile);
    using var loggers = CliContext.CreateLoggerFactory(verbose: true);
    await using var platform = await LocalPlatform.StartAsync(CliContext.Platform(port, watchBlobs: true, hostWorker: true, serve: true) with { Keys = keys }, loggers, ct);
    Console.WriteLine($"serving on {platform.BaseAddress} — HTTP API under /api, blob triggers on datasets/ and scoring/, scheduled check; Ctrl+C to stop");
    Console.WriteLine(created
        ? $"new keys, kept in {keyFile} (readable only by you; `keys` prints them again):\n{KeyFile.Describe(keys)}\n{KeyFile.HowToSend}"
        : $"keys in {keyFile} (`keys` prints them); {KeyFile.HowToSend}");
    try
    {
        await Task.Delay(Timeout.Infinite, ct);
    }
    catch (OperationCanceledException)
    {
    }

    return 0;
}

static bool PortIsFree(int port)
{
    try
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
        return true;
    }
    catch (System.Net.Sockets.SocketException)
    {
        return false;
    }
}
