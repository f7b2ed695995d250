using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MlLifecycle.Api;
using MlLifecycle.Storage;
using MlLifecycle.Workflows;
using OpenTelemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// A connection string locally (Azurite); in Azure, the account name with the app's managed identity.
var storage = builder.Configuration["AzureWebJobsStorage"] ?? builder.Configuration["AzureWebJobsStorage:accountName"]
    ?? throw new InvalidOperationException("Set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__accountName (managed identity).");
builder.Services.AddMlLifecycleStorage(storage).AddMlLifecycleWorkflows().AddMlLifecycleApi();

// Application Insights has local auth disabled in Azure (bicep/): the exporter signs in with the app's identity.
builder.Services.AddMlLifecycleTelemetry(builder.Configuration, managedIdentity: true)?.UseFunctionsWorkerDefaults();

var app = builder.Build();
await app.Services.EnsureMlLifecycleStorageAsync();
await app.RunAsync();
