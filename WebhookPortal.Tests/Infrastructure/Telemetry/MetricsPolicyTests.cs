using System.Net;
using Microsoft.AspNetCore.Hosting;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Telemetry;

/// <summary>A portal whose <c>Telemetry</c> section is set by the test class.</summary>
public abstract class TelemetrySettingsFactory(params (string Key, string Value)[] settings) : PortalFactory
{
    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

public sealed class AnonymousMetricsFactory() : TelemetrySettingsFactory(("Telemetry:MetricsPolicy", "Anonymous"));

public sealed class AdminMetricsFactory() : TelemetrySettingsFactory(("Telemetry:MetricsPolicy", "Admin"));

public sealed class NoPrometheusFactory() : TelemetrySettingsFactory(("Telemetry:PrometheusEnabled", "false"));

public sealed class AnonymousMetricsPolicyTests(AnonymousMetricsFactory portal) : IClassFixture<AnonymousMetricsFactory>
{
    [Fact]
    public async Task With_the_Anonymous_policy_anyone_may_scrape_but_a_Subscriber_key_stays_within_its_hooks()
    {
        var scraped = await portal.Anonymous().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains(PrometheusText.Parse(await scraped.Content.ReadAsStringAsync()), s => s.Name == "webhookportal_deliveries_due");
        Assert.Equal(HttpStatusCode.OK, (await portal.AsAdmin().GetAsync("/metrics")).StatusCode);
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Subscriber)).GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.Forbidden);
    }
}

public sealed class AdminMetricsPolicyTests(AdminMetricsFactory portal) : IClassFixture<AdminMetricsFactory>
{
    [Fact]
    public async Task With_the_Admin_policy_only_administrators_may_scrape()
    {
        Assert.Equal(HttpStatusCode.OK, (await portal.AsAdmin().GetAsync("/metrics")).StatusCode);
        await (await (await portal.AsSupportAsync()).GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.WithBearer(await portal.CreateApiKeyAsync(PortalRoles.Support)).GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await portal.Anonymous().GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }
}

public sealed class PrometheusDisabledTests(NoPrometheusFactory portal) : IClassFixture<NoPrometheusFactory>
{
    [Fact]
    public async Task Without_Prometheus_there_is_no_metrics_endpoint()
    {
        await (await portal.AsAdmin().GetAsync("/metrics")).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}

/// <summary>A collector address that refuses connections: exports fail quietly, the portal runs on.</summary>
public sealed class OtlpFactory() : TelemetrySettingsFactory(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"));

public sealed class OtlpExportTests(OtlpFactory portal) : IClassFixture<OtlpFactory>
{
    [Fact]
    public async Task With_an_OTLP_endpoint_traces_are_recorded_and_Prometheus_still_scrapes()
    {
        Assert.NotNull(portal.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
        var listener = await portal.CreateListenerAsync();
        await (await portal.Anonymous().SendAsync(ListenerFixtures.Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1}]}}"""))).ReadJsonAsync(HttpStatusCode.OK);
        var scraped = PrometheusText.Parse(await (await portal.AsAdmin().GetAsync("/metrics")).Content.ReadAsStringAsync());
        Assert.Contains(scraped, s => s.Name == "webhookportal_inbound_requests_total" && s.Has("listener_id", listener.Id.ToString()));
    }
}

public sealed class DefaultTracingTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public void Without_an_OTLP_endpoint_no_spans_are_recorded()
    {
        Assert.Null(portal.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
    }
}
