using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Infrastructure.Telemetry;

/// <summary>Who may scrape <c>/metrics</c>.</summary>
public enum MetricsPolicy
{
    /// <summary>Anyone who can reach the portal (put it behind a network boundary).</summary>
    Anonymous,

    /// <summary>Administrators and Support (users or API keys), with Basic or an API key.</summary>
    Read,

    /// <summary>Administrators only.</summary>
    Admin,
}

/// <summary>The <c>Telemetry</c> section (README, "Metrics and traces").</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>The Prometheus scrape endpoint, <c>/metrics</c>.</summary>
    public bool PrometheusEnabled { get; set; } = true;

    public MetricsPolicy MetricsPolicy { get; set; } = MetricsPolicy.Read;

    /// <summary>Spans are recorded when set; unset: only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is (there is somewhere to send them).</summary>
    public bool? TracingEnabled { get; set; }

    /// <summary>How long the delivery backlog gauges reuse their last database count.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan BacklogRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
}
