using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Logs.Pages;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Logs;

public sealed class LogsPageTests : PortalComponentTest
{
    private async Task SeedAsync()
    {
        await using var db = Database.CreateContext();
        db.LogEntries.AddRange(
            new LogEntry { TimeUtc = new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b", Status = 200, State = LogState.Success, RequestBody = """{"id":1,"name":"ok"}""", RequestHeaders = """{"Content-Type":"application/json","X-Token":"[redacted]"}""" },
            new LogEntry { TimeUtc = new DateTime(2026, 1, 11, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b", Status = 422, State = LogState.Error, Error = "The field 'id' must be an integer.", RequestBody = """{"id":"x"}""" },
            new LogEntry { TimeUtc = new DateTime(2026, 1, 12, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Outbound, Name = "quota-hook", Method = "POST", Path = "https://example.com/h", Status = 500, State = LogState.Error, Error = "The receiver answered 500." });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Lists_entries_newest_first_with_state_chips()
    {
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));
        var rows = cut.FindAll("[data-testid=logs-table] tbody tr");
        Assert.Contains("quota-hook", rows[0].TextContent);
        Assert.Equal(["error", "error", "success"], cut.FindAll("[data-testid=state-chip]").Select(c => c.TextContent.Trim()).ToArray());
    }

    [Fact]
    public async Task Filters_come_from_the_url_and_produce_the_api_query()
    {
        await SeedAsync();
        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/logs?state=error&name=Orders&direction=inbound&from=2026-01-01&to=2026-01-31&q=integer");
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=logs-table] tbody tr")));
        var query = cut.FindComponent<LogsPage>().Instance.CurrentQuery(1, 50);
        Assert.Equal("error", query.State);
        Assert.Equal("Orders", query.Name);
        Assert.Equal("inbound", query.Direction);
        Assert.Equal("integer", query.Q);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), query.From);
        Assert.Equal(new DateTime(2026, 1, 31, 23, 59, 59, DateTimeKind.Utc), query.To!.Value.AddTicks(-(query.To.Value.Ticks % TimeSpan.TicksPerSecond)));
        Assert.Contains("must be an integer", cut.Find("[data-testid=logs-table] tbody").TextContent);
    }

    [Fact]
    public async Task Changing_a_filter_puts_it_in_the_url()
    {
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));

        var stateSelect = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "State");
        await cut.InvokeAsync(() => stateSelect.Instance.ValueChanged.InvokeAsync(LogState.Error.ToText()));

        var navigation = Services.GetRequiredService<NavigationManager>();
        Assert.Contains("state=error", navigation.Uri);
        var directionSelect = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Direction");
        await cut.InvokeAsync(() => directionSelect.Instance.ValueChanged.InvokeAsync(LogDirection.Outbound.ToText()));
        Assert.Contains("direction=outbound", navigation.Uri);
    }

    [Fact]
    public async Task The_drawer_shows_headers_and_pretty_json_and_support_may_replay()
    {
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));

        cut.FindAll("[data-testid=logs-table] tbody tr")[2].Click();

        // The editors appear once the drawer has slid in.
        cut.WaitForAssertion(() => cut.Find("textarea[data-testid=request-body]"), TimeSpan.FromSeconds(5));
        var body = cut.Find("textarea[data-testid=request-body]").GetAttribute("value")!;
        Assert.Contains("\n", body);
        Assert.Contains("\"name\": \"ok\"", body);
        Assert.Contains("[redacted]", cut.Find("[data-testid=log-detail]").TextContent);
        // Support may replay (SPEC: "Support may read and redeliver/replay"); an inbound entry has no Redeliver.
        Assert.Single(cut.FindAll("[data-testid=replay]"));
        Assert.Empty(cut.FindAll("[data-testid=redeliver]"));
    }

    [Fact]
    public async Task Admins_get_replay_for_inbound_entries()
    {
        await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));

        cut.FindAll("[data-testid=logs-table] tbody tr")[1].Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=replay]"));
        Assert.Contains("must be an integer", cut.Find("[data-testid=log-error]").TextContent);
    }

    [Fact]
    public async Task The_integration_filter_comes_from_the_url_and_keeps_only_that_integrations_entries()
    {
        var billing = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new WebhookPortal.Features.Integrations.Integration { Id = billing, Name = "Billing", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            db.LogEntries.AddRange(
                new LogEntry { TimeUtc = new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, IntegrationId = billing, Name = "Invoices", Method = "POST", Path = "/hooks/x/y", Status = 200, State = LogState.Success },
                new LogEntry { TimeUtc = new DateTime(2026, 1, 10, 9, 1, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, IntegrationId = Guid.NewGuid(), Name = "Other", Method = "POST", Path = "/hooks/z/w", Status = 200, State = LogState.Success });
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/logs?integrationId={billing}");
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Contains("Invoices", Assert.Single(cut.FindAll("[data-testid=logs-table] tbody tr")).TextContent));
        Assert.Equal(billing, cut.FindComponent<LogsPage>().Instance.CurrentQuery(1, 50).IntegrationId);
    }

    [Fact]
    public async Task An_attempt_whose_delivery_is_gone_offers_no_action_and_says_why()
    {
        await using (var db = Database.CreateContext())
        {
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = new DateTime(2026, 1, 12, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Outbound, Name = "quota-hook", Method = "POST", Path = "https://example.com/h",
                Status = 500, State = LogState.Error, Error = "The receiver answered 500.", DeliveryId = Guid.NewGuid(), Attempt = 4,
            });
            await db.SaveChangesAsync();
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=logs-table] tbody tr")));

        cut.FindAll("[data-testid=logs-table] tbody tr")[0].Click();

        cut.WaitForAssertion(() => Assert.Contains("no longer exists", cut.Find("[data-testid=redeliver-unavailable]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=replay]"));
        Assert.Empty(cut.FindAll("[data-testid=redeliver]"));
        Assert.Empty(cut.FindAll("[data-testid=retry-now]"));
    }

    [Theory]
    [InlineData(413, null, "cut at the log's size limit")]
    [InlineData(415, null, "missing")]
    [InlineData(401, "{\"id\":1}", "refused with 401")]
    public async Task Replay_is_offered_only_when_it_can_work_and_says_why_not(int status, string? body, string reason)
    {
        await using (var db = Database.CreateContext())
        {
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b",
                Status = status, State = LogState.Error, Error = "refused", RequestBody = body,
            });
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=logs-table] tbody tr")));

        cut.FindAll("[data-testid=logs-table] tbody tr")[0].Click();

        cut.WaitForAssertion(() => Assert.Contains(reason, cut.Find("[data-testid=replay-unavailable]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=replay]"));
    }

    [Theory]
    [InlineData("pending", "retry-now")]
    [InlineData("failed", "redeliver")]
    [InlineData("delivered", "redeliver")]
    public async Task An_outbound_attempt_offers_retry_now_while_its_delivery_is_pending_and_redeliver_once_it_finished(string state, string offered)
    {
        var deliveryId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            var message = new WebhookPortal.Features.Deliveries.Message { Id = Guid.NewGuid(), EventType = "order.created", Payload = "{}", CreatedUtc = DateTime.UtcNow };
            db.Messages.Add(message);
            db.Deliveries.Add(new WebhookPortal.Features.Deliveries.Delivery
            {
                Id = deliveryId, MessageId = message.Id, TargetKind = WebhookPortal.Features.Deliveries.DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "quota-hook",
                Url = "https://example.com/h", State = StoredEnum<WebhookPortal.Features.Deliveries.DeliveryState>.Parse(state), AttemptCount = 1,
                NextAttemptUtc = DateTime.UtcNow.AddMinutes(5), CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            });
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = new DateTime(2026, 1, 12, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Outbound, Name = "quota-hook", Method = "POST", Path = "https://example.com/h",
                Status = 500, State = LogState.Error, Error = "The receiver answered 500.", DeliveryId = deliveryId, Attempt = 1,
            });
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=logs-table] tbody tr")));

        cut.FindAll("[data-testid=logs-table] tbody tr")[0].Click();

        cut.WaitForAssertion(() => cut.Find($"[data-testid={offered}]"));
        Assert.Empty(cut.FindAll($"[data-testid={(offered == "redeliver" ? "retry-now" : "redeliver")}]"));
    }

    [Fact]
    public async Task Escape_closes_the_side_panel()
    {
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));
        cut.FindAll("[data-testid=logs-table] tbody tr")[2].Click();
        cut.WaitForAssertion(() => Assert.True(cut.FindComponent<MudDrawer>().Instance.Open));
        Assert.Contains(JSInterop.Invocations, i => i.Identifier == "portal.onEscape");

        await cut.InvokeAsync(() => cut.FindComponent<LogsPage>().Instance.CloseOnEscape());

        cut.WaitForAssertion(() => Assert.False(cut.FindComponent<MudDrawer>().Instance.Open));
    }

    [Fact]
    public async Task The_event_type_is_a_column_and_free_text_finds_it()
    {
        await using (var db = Database.CreateContext())
        {
            db.LogEntries.AddRange(
                new LogEntry { TimeUtc = new DateTime(2026, 1, 12, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Outbound, Name = "crm", Method = "POST", Path = "https://example.com/h", Status = 200, State = LogState.Success, EventType = "order.cancelled" },
                new LogEntry { TimeUtc = new DateTime(2026, 1, 12, 9, 1, 0, DateTimeKind.Utc), Direction = LogDirection.Outbound, Name = "crm", Method = "POST", Path = "https://example.com/h", Status = 200, State = LogState.Success, EventType = "order.created" },
                new LogEntry { TimeUtc = new DateTime(2026, 1, 12, 9, 2, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b", Status = 200, State = LogState.Success });
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/logs?q=order.cancelled");
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Equal("order.cancelled", Assert.Single(cut.FindAll("[data-testid=event-type]")).TextContent.Trim()));
    }

    private async Task SeedManyAsync(int count)
    {
        await using var db = Database.CreateContext();
        for (var i = 0; i < count; i++)
        {
            db.LogEntries.Add(new LogEntry { TimeUtc = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = $"/hooks/a/{i}", Status = 200, State = LogState.Success });
        }

        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Load_more_adds_the_next_older_entries_below_and_a_filter_change_starts_again_from_the_newest()
    {
        await SeedManyAsync(60);
        SignInAsSupport();
        var navigation = Services.GetRequiredService<NavigationManager>();
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Equal(50, cut.FindAll("[data-testid=logs-table] tbody tr").Count));
        Assert.Equal("Showing 50 of 60", cut.Find("[data-testid=logs-count]").TextContent.Trim());
        Assert.DoesNotContain("2026-01-01 00:09:00", cut.Find("[data-testid=logs-table] tbody").TextContent);

        cut.Find("[data-testid=load-more]").Click();

        // The ten oldest, below the fifty newest, each once; nothing more to load.
        cut.WaitForAssertion(() => Assert.Equal(60, cut.FindAll("[data-testid=logs-table] tbody tr").Count));
        var times = cut.FindAll("[data-testid=logs-table] tbody tr").Select(r => r.QuerySelector("td")!.TextContent.Trim()).ToList();
        Assert.Equal(Enumerable.Range(0, 60).Reverse().Select(i => new DateTime(2026, 1, 1).AddMinutes(i).ToString("yyyy-MM-dd HH:mm:ss")), times);
        Assert.Empty(cut.FindAll("[data-testid=load-more]"));
        Assert.Equal("Showing 60 of 60", cut.Find("[data-testid=logs-count]").TextContent.Trim());

        var stateSelect = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "State");
        await cut.InvokeAsync(() => stateSelect.Instance.ValueChanged.InvokeAsync(LogState.Success.ToText()));
        Assert.Contains("state=success", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Equal(50, cut.FindAll("[data-testid=logs-table] tbody tr").Count));
        Assert.Single(cut.FindAll("[data-testid=load-more]"));
    }

    [Fact]
    public async Task Beyond_the_count_limit_the_total_says_at_least()
    {
        Services.Configure<LogOptions>(o => o.CountLimit = 55);
        await SeedManyAsync(60);
        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Equal("Showing 50 of 55+", cut.Find("[data-testid=logs-count]").TextContent.Trim()));
    }

    [Fact]
    public async Task The_filters_panel_counts_the_active_filters_and_is_open_on_a_wide_screen()
    {
        await SeedAsync();
        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/logs?state=error&q=integer");
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Equal("2 active", cut.Find("[data-testid=active-filters]").TextContent.Trim()));
        Assert.True(cut.FindComponent<MudExpansionPanel>().Instance.Expanded);
        Assert.NotEmpty(cut.FindAll("[data-testid=filter-direction]"));
    }

    [Fact]
    public async Task With_support_actions_switched_off_support_gets_no_replay_or_redeliver_buttons()
    {
        Services.Configure<WebhookPortal.Infrastructure.Auth.RoleOptions>(o => o.SupportMayRedeliver = false);
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));

        cut.FindAll("[data-testid=logs-table] tbody tr")[2].Click();

        cut.WaitForAssertion(() => cut.Find("textarea[data-testid=request-body]"), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("[data-testid=replay]"));
        Assert.Empty(cut.FindAll("[data-testid=redeliver]"));
    }

    [Fact]
    public async Task Duplicates_replays_and_handshakes_say_what_they_are_in_the_list_and_the_drawer()
    {
        long originalId;
        await using (var db = Database.CreateContext())
        {
            var original = new LogEntry { TimeUtc = new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b", Status = 409, State = LogState.Error, Error = "no tables", RequestBody = "{}" };
            db.LogEntries.Add(original);
            await db.SaveChangesAsync();
            originalId = original.Id;
            db.LogEntries.AddRange(
                new LogEntry { TimeUtc = new DateTime(2026, 1, 10, 9, 1, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b", Status = 200, State = LogState.Success, ReplayOfId = originalId, RequestBody = "{}" },
                new LogEntry { TimeUtc = new DateTime(2026, 1, 10, 9, 2, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, Name = "Orders", Method = "POST", Path = "/hooks/a/b", Status = 200, State = LogState.Success, Duplicate = true, Note = "Duplicate: X-GitHub-Delivery 'd-1' was accepted within the last 1.00:00:00; answered 200 without applying it again.", RequestBody = "{}" });
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=logs-table] tbody tr").Count));

        Assert.Contains($"Replay of #{originalId}", cut.Find("[data-testid=row-replay-of]").TextContent);
        Assert.Single(cut.FindAll("[data-testid=row-duplicate]"));

        cut.FindAll("[data-testid=logs-table] tbody tr")[0].Click();
        cut.WaitForAssertion(() => Assert.Contains("X-GitHub-Delivery 'd-1'", cut.Find("[data-testid=log-note]").TextContent));

        cut.FindAll("[data-testid=logs-table] tbody tr")[1].Click();
        cut.WaitForAssertion(() => Assert.Equal($"logs?entry={originalId}", cut.Find("[data-testid=replay-of-link]").GetAttribute("href")));
    }
}
