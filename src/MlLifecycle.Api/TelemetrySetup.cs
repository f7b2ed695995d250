using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlLifecycle.Core;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MlLifecycle.Api;

/// <summary>
/// OpenTelemetry for both hosts: the platform's spans and metrics (<see cref="Telemetry"/>), the Durable Task
/// Framework's run traces, and logs. Exported to Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set,
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (both when both are), and nowhere otherwise.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>
    /// Span sources: the platform's, the Durable Task Framework's (the local host's runs) and the Durable Task SDK's
    /// (the Functions app's orchestrations).
    /// </summary>
    public static readonly string[] Sources = [Telemetry.Name, $"{Telemetry.Name}.*", "DurableTask.Core", "Microsoft.DurableTask"];

    /// <summary>Meters: the platform's (<c>MlLifecycle</c>, <c>MlLifecycle.Serving</c>, <c>.Storage</c>, <c>.Monitoring</c>).</summary>
    public static readonly string[] Meters = [Telemetry.Name, $"{Telemetry.Name}.*"];

    /// <summary>The exporters the configuration asks for: "azuremonitor", "otlp", both or none.</summary>
    public static IReadOnlyList<string> Exporters(IConfiguration configuration) =>
    [
        .. string.IsNullOrWhiteSpace(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]) ? Array.Empty<string>() : ["azuremonitor"],
        .. string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ? Array.Empty<string>() : ["otlp"],
    ];

    /// <summary>
    /// Registers OpenTelemetry with the platform's sources and meters and the configured exporters; with none
    /// configured, registers nothing (no listener, so spans are not even created). Returns the builder, or null.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">Where the connection string and endpoint are read (environment variables included).</param>
    /// <param name="managedIdentity">Azure Monitor signs in with the app's identity (in Azure, where Application Insights has local auth disabled; bicep/).</param>
    /// <param name="serviceName">The <c>service.name</c> unless <c>OTEL_SERVICE_NAME</c> sets one; null = the host's own default.</param>
    public static OpenTelemetryBuilder? AddMlLifecycleTelemetry(this IServiceCollection services, IConfiguration configuration, bool managedIdentity = false, string? serviceName = null)
    {
        var exporters = Exporters(configuration);
        if (exporters.Count == 0)
        {
            return null;
        }

        var builder = services.AddOpenTelemetry()
            .ConfigureResource(r =>
            {
                if (serviceName is not null && string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                {
                    r.AddService(serviceName);
                }
            })
            .WithTracing(t => t.AddSource(Sources))
            .WithMetrics(m => m.AddMeter(Meters))
            .WithLogging();
        if (exporters.Contains("azuremonitor"))
        {
            builder.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
                o.Credential = managedIdentity ? new DefaultAzureCredential() : null;
            });
        }

        if (exporters.Contains("otlp"))
        {
            builder.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Log export for a logger factory made outside a host (the local CLI's, which the local host's services share),
    /// to the same exporters.
    /// </summary>
    public static ILoggingBuilder AddMlLifecycleLogExport(this ILoggingBuilder logging, IConfiguration configuration, string serviceName)
    {
        var exporters = Exporters(configuration);
        if (exporters.Count > 0)
        {
            logging.AddOpenTelemetry(o =>
            {
                o.IncludeFormattedMessage = true;
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                {
                    o.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(serviceName));
                }

                if (exporters.Contains("azuremonitor"))
                {
                    o.AddAzureMonitorLogExporter(a => a.ConnectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
                }

                if (exporters.Contains("otlp"))
                {
                    o.AddOtlpExporter();
                }
            });
        }

        return logging;
    }
}
