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
