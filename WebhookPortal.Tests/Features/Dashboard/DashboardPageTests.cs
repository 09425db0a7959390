using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Dashboard;
using WebhookPortal.Features.Dashboard.Pages;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Dashboard;

/// <summary>
/// The home page: empty states without data; with data, charts and numbers that link to the filtered log and delivery
/// lists of the window; the range selector changes the window; it refreshes itself every 30 s unless paused.
/// </summary>
public sealed class DashboardPageTests : PortalComponentTest
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public DashboardPageTests()
    {
        Services.AddScoped<DashboardService>();
        SignInAsSupport();
    }

    private async Task<(Guid WebhookId, long ErrorId)> SeedAsync()
    {
        await using var db = Database.CreateContext();
        var integration = new Integration { Id = Guid.NewGuid(), Name = "Billing", CreatedUtc = Now, UpdatedUtc = Now };
        var webhook = new Webhook { Id = Guid.NewGuid(), IntegrationId = integration.Id, Name = "erp-sync", PostUrl = "https://example.com/erp", ProtectedSecret = "x", CreatedUtc = Now, UpdatedUtc = Now, FailingSinceUtc = Now.AddMinutes(-30) };
        db.Integrations.Add(integration);
        db.Webhooks.Add(webhook);
        LogEntry Entry(int minutesAgo, LogDirection direction, string name, LogState state) => new()
        {
            TimeUtc = Now.AddMinutes(-minutesAgo), Direction = direction, Name = name, Method = "POST", Path = "/hooks/x", State = state,
            Status = state == LogState.Error ? 401 : 200, Error = state == LogState.Error ? "The token is missing or wrong." : null,
        };
        db.LogEntries.AddRange(Entry(10, LogDirection.Inbound, "orders", LogState.Success), Entry(9, LogDirection.Inbound, "orders", LogState.Success), Entry(200, LogDirection.Inbound, "crm", LogState.Success));
        var error = Entry(5, LogDirection.Inbound, "orders", LogState.Error);
        db.LogEntries.Add(error);
        var message = new Message { Id = Guid.NewGuid(), IntegrationId = integration.Id, EventType = "order.created", Payload = "{}", CreatedUtc = Now };
        db.Messages.Add(message);
        Delivery Row(DeliveryState state, int minutesAgo) => new()
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhook.Id, TargetName = webhook.Name, Url = webhook.PostUrl,
            State = state, AttemptCount = 2, NextAttemptUtc = Now.AddMinutes(-7), CreatedUtc = Now.AddMinutes(-minutesAgo), UpdatedUtc = Now,
        };
        db.Deliveries.AddRange(Row(DeliveryState.Failed, 20), Row(DeliveryState.Failed, 15), Row(DeliveryState.Pending, 10), Row(DeliveryState.Delivered, 100));
        await db.SaveChangesAsync();
        return (webhook.Id, error.Id);
    }

    private IRenderedComponent<ContainerFragment> RenderPage()
    {
        var cut = RenderWithProviders<DashboardPage>();
        cut.WaitForElement("[data-testid=kpi-requests]", Wait);
        return cut;
    }

    /// <summary>
    /// Clicks and waits for the handler without awaiting in the test: an awaited click would continue the test on the
    /// renderer's thread, where the fake clock's timer callback and WaitForAssertion would then wait for each other.
    /// </summary>
    private static void ClickOffRendererThread(IRenderedComponent<ContainerFragment> cut, string testId) =>
        cut.Find($"[data-testid={testId}]").ClickAsync(new()).GetAwaiter().GetResult();

    private static string Href(IRenderedComponent<ContainerFragment> cut, string testId) => cut.Find($"[data-testid={testId}]").GetAttribute("href")!;

    [Fact]
    public void Without_data_every_panel_says_so()
    {
        var cut = RenderPage();

        Assert.Equal("0", cut.Find("[data-testid=kpi-requests-total]").TextContent.Trim());
        Assert.Contains("No requests in the last 24 h", cut.Find("[data-testid=requests-empty]").TextContent);
        Assert.Contains("No deliveries in the last 24 h", cut.Find("[data-testid=deliveries-empty]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=failing-empty]"));
        Assert.NotNull(cut.Find("[data-testid=errors-empty]"));
        Assert.Contains("nothing waiting", cut.Find("[data-testid=kpi-backlog-oldest]").TextContent);
        Assert.Empty(cut.FindAll(".mud-chart"));
        Assert.NotNull(cut.Find("[data-testid=start-here]"));
    }

    [Fact]
    public async Task With_data_the_charts_render_and_every_number_links_to_the_list_behind_it()
    {
        var (webhookId, errorId) = await SeedAsync();
        var cut = RenderPage();

        // The last 24 hours: 2026-11-22 13:00 to 2026-11-23 13:00 (the "to" bound is inclusive, one tick before).
        const string window = "from=2026-11-22T13%3A00%3A00Z&to=2026-11-23T12%3A59%3A59.9999999Z";
        Assert.NotEmpty(cut.FindAll("[data-testid=chart-requests] .mud-chart svg"));
        Assert.NotEmpty(cut.FindAll("[data-testid=chart-deliveries] .mud-chart svg"));
        Assert.Equal("4", cut.Find("[data-testid=kpi-requests-total]").TextContent.Trim());
        Assert.Equal($"logs?direction=inbound&{window}", Href(cut, "kpi-requests-total"));
        Assert.Contains("1 error", cut.Find("[data-testid=kpi-requests-errors]").TextContent);
        Assert.Equal($"logs?direction=inbound&state=error&{window}", Href(cut, "kpi-requests-errors"));

        var orders = cut.Find("[data-testid=listener-row][data-name=orders]");
        Assert.Equal("3", orders.QuerySelector("[data-testid=listener-total]")!.TextContent.Trim());
        Assert.Equal($"logs?direction=inbound&name=orders&{window}", orders.QuerySelector("[data-testid=listener-total]")!.GetAttribute("href"));
        Assert.Equal($"logs?direction=inbound&name=orders&state=error&{window}", orders.QuerySelector("[data-testid=listener-errors]")!.GetAttribute("href"));

        Assert.Equal("4", cut.Find("[data-testid=kpi-deliveries-total]").TextContent.Trim());
        Assert.Equal($"deliveries?state=failed&{window}", Href(cut, "kpi-deliveries-failed"));
        Assert.Equal("1", cut.Find("[data-testid=kpi-backlog-due]").TextContent.Trim());
        Assert.Equal("deliveries?state=pending", Href(cut, "kpi-backlog-due"));
        Assert.Contains("7 min", cut.Find("[data-testid=kpi-backlog-oldest]").TextContent);

        var hook = cut.Find("[data-testid=failing-webhook]");
        Assert.Contains("erp-sync", hook.TextContent);
        Assert.Equal("failing", hook.QuerySelector("[data-testid=failing-webhook-health]")!.GetAttribute("data-state"));
        Assert.Equal("2", hook.QuerySelector("[data-testid=failing-webhook-failed]")!.TextContent.Trim());
        Assert.Equal($"deliveries?webhookId={webhookId}&state=failed&{window}", hook.QuerySelector("[data-testid=failing-webhook-failed]")!.GetAttribute("href"));
        Assert.Equal($"webhooks/{webhookId}", hook.QuerySelector("a")!.GetAttribute("href"));

        var recent = Assert.Single(cut.FindAll("[data-testid=recent-error]"));
        Assert.Contains("orders", recent.TextContent);
        Assert.Contains("401", recent.TextContent);
        Assert.Equal($"logs?entry={errorId}", (recent.TagName == "A" ? recent : recent.QuerySelector("a") ?? recent.Closest("a"))!.GetAttribute("href"));
    }

    [Fact]
    public async Task The_range_selector_changes_the_window_of_the_figures_and_the_links()
    {
        await SeedAsync();
        var cut = RenderPage();
        Assert.Equal("4", cut.Find("[data-testid=kpi-requests-total]").TextContent.Trim());

        cut.Find("[data-testid=range-1h]").Click();

        // The last hour: 11:05 to 12:05; the request of 200 minutes ago is out, and the URL says which range.
        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("[data-testid=kpi-requests-total]").TextContent.Trim()), Wait);
        Assert.Equal("logs?direction=inbound&from=2026-11-23T11%3A05%3A00Z&to=2026-11-23T12%3A04%3A59.9999999Z", Href(cut, "kpi-requests-total"));
        Assert.Contains("per 5 minutes", cut.Find("[data-testid=chart-requests]").TextContent);
        Assert.EndsWith("?range=1h", Services.GetRequiredService<NavigationManager>().Uri);

        cut.Find("[data-testid=range-7d]").Click();
        cut.WaitForAssertion(() => Assert.Equal("logs?direction=inbound&from=2026-11-16T18%3A00%3A00Z&to=2026-11-23T17%3A59%3A59.9999999Z", Href(cut, "kpi-requests-total")), Wait);
        Assert.Contains("per 6 hours", cut.Find("[data-testid=chart-requests]").TextContent);
    }

    [Fact]
    public async Task Picking_a_listener_shows_its_requests_only_in_the_chart()
    {
        await SeedAsync();
        var cut = RenderPage();
        var before = cut.Find("[data-testid=chart-requests] .mud-chart").InnerHtml;

        await cut.InvokeAsync(() => cut.FindComponent<MudBlazor.MudSelect<string>>().Instance.ValueChanged.InvokeAsync("crm"));

        cut.WaitForAssertion(() => Assert.NotEqual(before, cut.Find("[data-testid=chart-requests] .mud-chart").InnerHtml), Wait);
    }

    [Fact]
    public async Task It_refreshes_itself_every_30_seconds_until_paused()
    {
        var cut = RenderPage();
        Assert.Contains("Updated 12:00:00 UTC", cut.Find("[data-testid=updated-at]").TextContent);

        await SeedAsync();
        Clock.Advance(DashboardPage.RefreshInterval);

        cut.WaitForAssertion(() => Assert.Equal("4", cut.Find("[data-testid=kpi-requests-total]").TextContent.Trim()), Wait);
        Assert.Contains("Updated 12:00:30 UTC", cut.Find("[data-testid=updated-at]").TextContent);

        ClickOffRendererThread(cut, "pause-refresh");
        Assert.Contains("paused", cut.Find("[data-testid=updated-at]").TextContent);
        Clock.Advance(DashboardPage.RefreshInterval * 3);
        Assert.Contains("Updated 12:00:30 UTC", cut.Find("[data-testid=updated-at]").TextContent);

        // Resumed at 12:02:00: the next refresh is 30 s later.
        ClickOffRendererThread(cut, "pause-refresh");
        Clock.Advance(DashboardPage.RefreshInterval);
        cut.WaitForAssertion(() => Assert.Contains("Updated 12:02:30 UTC", cut.Find("[data-testid=updated-at]").TextContent), Wait);
    }

    [Fact]
    public void Leaving_the_page_stops_the_timer()
    {
        var cut = RenderPage();
        var page = cut.FindComponent<DashboardPage>().Instance;

        page.Dispose();
        Clock.Advance(DashboardPage.RefreshInterval * 2);

        Assert.Contains("Updated 12:00:00 UTC", cut.Find("[data-testid=updated-at]").TextContent);
    }
}
