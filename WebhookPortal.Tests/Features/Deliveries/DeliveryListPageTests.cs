using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Deliveries.Pages;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// The deliveries page: every target's deliveries newest first, filtered by webhook, state and time range from the URL,
/// each with its timeline (attempts with answer and error, then the next attempt), and actions only for those who may act.
/// </summary>
public sealed class DeliveryListPageTests : PortalComponentTest
{
    private async Task<(Guid Crm, Guid Erp, Guid Pending, Guid Failed, Guid Old)> SeedAsync()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Billing", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        WebhookView crm, erp;
        using (var scope = AdminScope())
        {
            var catalog = scope.ServiceProvider.GetRequiredService<WebhookCatalog>();
            crm = await catalog.CreateAsync(integrationId, new WebhookRequest("crm", "https://example.com/crm", true, null, null), "admin@test.local");
            erp = await catalog.CreateAsync(integrationId, new WebhookRequest("erp", "https://example.com/erp", true, null, null), "admin@test.local");
        }

        // The page's clock is the fake one (2026-11-23 12:00 UTC).
        var now = Clock.GetUtcNow().UtcDateTime;
        await using (var db = Database.CreateContext())
        {
            var message = new Message { Id = Guid.NewGuid(), IntegrationId = integrationId, EventType = "order.created", Payload = """{"id":7}""", CreatedUtc = now };
            db.Messages.Add(message);
            Delivery Row(WebhookView target, DeliveryState state, TimeSpan age) => new()
            {
                Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = target.Id, TargetName = target.Name, Url = target.PostUrl,
                State = state, AttemptCount = 1, LastStatus = 500, LastError = "The receiver answered 500 Internal Server Error.",
                NextAttemptUtc = now.AddMinutes(5), CreatedUtc = now - age, UpdatedUtc = now - age,
            };
            var pending = Row(crm, DeliveryState.Pending, TimeSpan.FromMinutes(1));
            var failed = Row(erp, DeliveryState.Failed, TimeSpan.FromMinutes(2));
            var old = Row(crm, DeliveryState.Delivered, TimeSpan.FromDays(3));
            db.Deliveries.AddRange(pending, failed, old);
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = now.AddMinutes(-1), Direction = LogDirection.Outbound, IntegrationId = integrationId, SourceId = crm.Id, Name = "crm", Method = "POST", Path = crm.PostUrl,
                State = LogState.Error, Status = 500, DeliveryId = pending.Id, Attempt = 1, DurationMs = 42, Error = "The receiver answered 500 Internal Server Error.", ResponseBody = "database is down",
            });
            await db.SaveChangesAsync();
            return (crm.Id, erp.Id, pending.Id, failed.Id, old.Id);
        }
    }

    private static List<string> States(IRenderedComponent<ContainerFragment> cut) => cut.FindAll("[data-testid=delivery-state]").Select(c => c.TextContent.Trim()).ToList();

    [Fact]
    public async Task Lists_every_targets_deliveries_newest_first_and_opens_a_timeline()
    {
        await SeedAsync();
        SignInAsSupport();

        var cut = RenderWithProviders<DeliveryListPage>();

        cut.WaitForAssertion(() => Assert.Equal(["pending", "failed", "delivered"], States(cut)));
        Assert.Contains("3 deliveries", cut.Markup);
        cut.FindAll("[data-testid=expand-delivery]")[0].Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=delivery-timeline]"));
        var timeline = cut.Find("[data-testid=delivery-timeline]");
        Assert.Single(timeline.QuerySelectorAll("[data-testid=attempt]"));
        Assert.Equal("500", timeline.QuerySelector("[data-testid=attempt-status]")!.TextContent.Trim());
        Assert.Contains("database is down", timeline.QuerySelector("[data-testid=attempt-response]")!.TextContent);
        Assert.Contains("42 ms", timeline.TextContent);
        Assert.Contains("Next attempt", timeline.QuerySelector("[data-testid=next-attempt]")!.TextContent);
        Assert.Contains("\"id\":7", timeline.TextContent);
    }

    [Fact]
    public async Task The_url_filters_by_webhook_state_and_time_range()
    {
        var (crm, _, _, _, _) = await SeedAsync();
        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/deliveries?webhookId={crm}&range=24h");

        var cut = RenderWithProviders<DeliveryListPage>();

        // The crm webhook's delivery of three days ago is outside the last 24 hours; erp's is another webhook.
        cut.WaitForAssertion(() => Assert.Equal(["pending"], States(cut)));
    }

    [Fact]
    public async Task A_state_filter_that_matches_nothing_says_so_and_a_bad_one_is_named()
    {
        await SeedAsync();
        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/deliveries?state=held");

        var held = RenderWithProviders<DeliveryListPage>();

        held.WaitForAssertion(() => Assert.Contains("No delivery matches these filters.", held.Find("[data-testid=deliveries-empty]").TextContent));
    }

    [Fact]
    public async Task An_unknown_state_in_the_url_is_explained_and_every_state_shown()
    {
        await SeedAsync();
        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/deliveries?state=lost");

        var cut = RenderWithProviders<DeliveryListPage>();

        cut.WaitForAssertion(() => Assert.Equal(3, States(cut).Count));
        Assert.Contains("'lost' is not a delivery state", cut.Find("[data-testid=filter-error]").TextContent);
    }

    [Fact]
    public async Task Staff_retry_a_pending_delivery_and_redeliver_a_finished_one()
    {
        var (_, _, pending, failed, _) = await SeedAsync();
        SignInAsAdmin();

        var cut = RenderWithProviders<DeliveryListPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, States(cut).Count));
        Assert.Single(cut.FindAll("[data-testid=retry-now]"));
        Assert.Equal(2, cut.FindAll("[data-testid=redeliver]").Count);

        cut.Find("[data-testid=retry-now]").Click();
        cut.WaitForAssertion(() => Assert.Contains("The next attempt starts now.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.True((await db.Deliveries.FindAsync(pending))!.NextAttemptUtc <= Clock.GetUtcNow().UtcDateTime);

        cut.FindAll("[data-testid=redeliver]")[0].Click();
        cut.WaitForAssertion(() => Assert.Contains("Redelivery queued.", cut.Markup));
        Assert.Equal(4, db.Deliveries.Count());
        Assert.Equal(2, db.Deliveries.Count(d => d.MessageId == db.Deliveries.Single(x => x.Id == failed).MessageId && d.TargetId == db.Deliveries.Single(x => x.Id == failed).TargetId));
    }

    [Fact]
    public async Task Selected_deliveries_are_redelivered_with_a_progress_bar_kept_in_the_url_then_a_summary()
    {
        var (_, _, _, failed, old) = await SeedAsync();
        SignInAsSupport();
        var navigation = Services.GetRequiredService<NavigationManager>();

        var cut = RenderWithProviders<DeliveryListPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, States(cut).Count));
        Assert.True(cut.Find("[data-testid=redeliver-selected]").HasAttribute("disabled"));
        foreach (var state in new[] { "failed", "delivered" })
        {
            cut.FindAll("tbody tr").First(r => r.QuerySelector("[data-testid=delivery-state]")?.TextContent.Trim() == state).QuerySelector("input[type=checkbox]")!.Change(true);
        }

        cut.WaitForAssertion(() => Assert.Contains("(2)", cut.Find("[data-testid=redeliver-selected]").TextContent));
        cut.Find("[data-testid=redeliver-selected]").Click();

        // erp's failed delivery is sent again; crm's message is still pending to crm, so its delivered one is skipped.
        cut.WaitForAssertion(() => Assert.Contains("1 delivery queued again; 1 skipped (pending, or already sent again).", cut.Markup));
        cut.WaitForAssertion(() => Assert.Equal("0 of 1 delivered · 0 failed · 1 pending", cut.Find("[data-testid=redelivery-status]").TextContent.Trim()));
        Guid jobId, copy;
        await using (var db = Database.CreateContext())
        {
            jobId = (await db.Jobs.SingleAsync(j => j.Kind == RedeliveryJobs.Kind)).Id;
            copy = (await db.Deliveries.SingleAsync(d => d.JobId == jobId)).Id;
        }

        Assert.Contains($"redelivery={jobId}", navigation.Uri);

        await using (var db = Database.CreateContext())
        {
            await db.Deliveries.Where(d => d.Id == copy).ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Delivered));
        }

        cut.WaitForAssertion(() => Assert.Contains("1 delivery sent again: 1 delivered, 0 failed.", cut.Find("[data-testid=redelivery-summary]").TextContent), TimeSpan.FromSeconds(5));
        cut.Find("[data-testid=redelivery-summary] button").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=redelivery-summary]")));
        Assert.DoesNotContain("redelivery=", navigation.Uri);
    }

    [Fact]
    public async Task A_redelivery_in_the_url_shows_its_progress_after_a_reload()
    {
        await SeedAsync();
        var now = Clock.GetUtcNow().UtcDateTime;
        var jobId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            var message = await db.Messages.FirstAsync();
            db.Jobs.Add(new WebhookPortal.Features.Jobs.Job { Id = jobId, Kind = RedeliveryJobs.Kind, RequestedById = "u1", Status = WebhookPortal.Features.Jobs.JobStatus.Running, CreatedUtc = now, StartedUtc = now });
            foreach (var state in new[] { DeliveryState.Delivered, DeliveryState.Pending })
            {
                db.Deliveries.Add(new Delivery
                {
                    Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "crm", Url = "https://example.com/crm",
                    State = state, NextAttemptUtc = now, CreatedUtc = now, UpdatedUtc = now, JobId = jobId,
                });
            }

            await db.SaveChangesAsync();
        }

        SignInAsAdmin();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/deliveries?redelivery={jobId}");

        var cut = RenderWithProviders<DeliveryListPage>();

        cut.WaitForAssertion(() => Assert.Equal("1 of 2 delivered · 0 failed · 1 pending", cut.Find("[data-testid=redelivery-status]").TextContent.Trim()));
        Assert.Contains("50%", cut.Find("[data-testid=redelivery-progress]").TextContent);
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("8f5d7c1e-0000-4000-8000-000000000000")]
    public async Task A_redelivery_in_the_url_that_is_unknown_is_said_so(string id)
    {
        await SeedAsync();
        SignInAsAdmin();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/deliveries?redelivery={id}");

        var cut = RenderWithProviders<DeliveryListPage>();

        cut.WaitForAssertion(() => Assert.Contains("This redelivery is unknown", cut.Find("[data-testid=redelivery-error]").TextContent));
        Assert.Equal(3, States(cut).Count);
    }

    [Fact]
    public async Task Support_without_the_right_to_act_reads_only()
    {
        Services.Configure<WebhookPortal.Infrastructure.Auth.RoleOptions>(o => o.SupportMayRedeliver = false);
        await SeedAsync();
        SignInAsSupport();

        var cut = RenderWithProviders<DeliveryListPage>();

        cut.WaitForAssertion(() => Assert.Equal(3, States(cut).Count));
        Assert.Empty(cut.FindAll("[data-testid=retry-now]"));
        Assert.Empty(cut.FindAll("[data-testid=redeliver]"));
        Assert.Empty(cut.FindAll("[data-testid=redeliver-selected]"));
        Assert.Empty(cut.FindAll("tbody input[type=checkbox]"));
    }
}
