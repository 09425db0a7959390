using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Infrastructure.Telemetry;

/// <summary>
/// Metrics and traces with the OpenTelemetry SDK: the portal's <see cref="PortalTelemetry"/> meter and source plus
/// ASP.NET Core's and HttpClient's, a Prometheus scrape endpoint (<c>/metrics</c>, behind
/// <see cref="TelemetryOptions.MetricsPolicy"/>), and OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
/// (the exporter reads the other <c>OTEL_EXPORTER_OTLP_*</c> variables itself).
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddPortalTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DeliveryBacklogMetrics>();

        var options = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var metrics = options.PrometheusEnabled || otlp;
        var tracing = options.TracingEnabled ?? otlp;
        if (!metrics && !tracing)
        {
            return builder;
        }

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "webhookportal"));
        if (metrics)
        {
            otel.WithMetrics(m =>
            {
                m.AddMeter(PortalTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (options.PrometheusEnabled)
                {
                    m.AddPrometheusExporter();
                }

                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        }

        if (tracing)
        {
            otel.WithTracing(t =>
            {
                t.AddSource(PortalTelemetry.Name)
                    // Scrapes and health probes would only be noise in the traces.
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath) && !http.Request.Path.StartsWithSegments("/healthz"))
                    .AddHttpClientInstrumentation();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
        }

        return builder;
    }

    /// <summary>Publishes the backlog gauges and maps <c>/metrics</c> (unless disabled) with the configured policy.</summary>
    public static WebApplication MapPortalTelemetry(this WebApplication app)
    {
        app.Services.GetRequiredService<DeliveryBacklogMetrics>();
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!options.PrometheusEnabled)
        {
            return app;
        }

        var scrape = app.MapPrometheusScrapingEndpoint(MetricsPath);
        _ = options.MetricsPolicy switch
        {
            MetricsPolicy.Anonymous => scrape.AllowAnonymous(),
            MetricsPolicy.Admin => scrape.RequireAuthorization(PortalPolicies.Admin),
            _ => scrape.RequireAuthorization(PortalPolicies.Read),
        };
        return app;
    }
}
