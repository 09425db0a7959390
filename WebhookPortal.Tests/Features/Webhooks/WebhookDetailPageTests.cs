using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Features.Webhooks.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>The webhook page offers "retry now" on a pending delivery and "redeliver" on a finished one, never the other way round.</summary>
public sealed class WebhookDetailPageTests : PortalComponentTest
{
    private async Task<(Guid WebhookId, Guid PendingId, Guid FailedId)> SeedAsync()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Billing", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        WebhookView webhook;
        using (var scope = AdminScope())
        {
            webhook = await scope.ServiceProvider.GetRequiredService<WebhookCatalog>().CreateAsync(integrationId, new WebhookRequest("crm", "https://example.com/crm", true, null, null), "admin@test.local");
        }

        var now = DateTime.UtcNow;
        Delivery Row(DeliveryState state, Guid messageId, int minutesAgo) => new()
        {
            Id = Guid.NewGuid(), MessageId = messageId, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhook.Id, TargetName = "crm", Url = "https://example.com/crm",
            State = state, AttemptCount = 1, LastStatus = 500, NextAttemptUtc = now.AddMinutes(5), CreatedUtc = now.AddMinutes(-minutesAgo), UpdatedUtc = now,
        };
        await using (var db = Database.CreateContext())
        {
            var message = new Message { Id = Guid.NewGuid(), IntegrationId = integrationId, EventType = "order.created", Payload = "{}", CreatedUtc = now };
            db.Messages.Add(message);
            var pending = Row(DeliveryState.Pending, message.Id, 1);
            var failed = Row(DeliveryState.Failed, message.Id, 2);
            db.Deliveries.AddRange(pending, failed);
            await db.SaveChangesAsync();
            return (webhook.Id, pending.Id, failed.Id);
        }
    }

    [Fact]
    public async Task A_pending_delivery_offers_retry_now_and_a_finished_one_redeliver()
    {
        var (webhookId, pendingId, _) = await SeedAsync();
        SignInAsSupport();

        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=expand-delivery]").Count));
        var rows = cut.FindAll("tbody tr").Where(r => r.QuerySelector("[data-testid=expand-delivery]") is not null).ToList();
        Assert.Contains("pending", rows[0].TextContent);
        Assert.NotNull(rows[0].QuerySelector("[data-testid=retry-now]"));
        Assert.Null(rows[0].QuerySelector("[data-testid=redeliver]"));
        Assert.Contains("failed", rows[1].TextContent);
        Assert.NotNull(rows[1].QuerySelector("[data-testid=redeliver]"));
        Assert.Null(rows[1].QuerySelector("[data-testid=retry-now]"));

        cut.Find("[data-testid=retry-now]").Click();

        cut.WaitForAssertion(() => Assert.Contains("The next attempt starts now.", cut.Markup));
        await using var db = Database.CreateContext();
        var after = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == pendingId);
        Assert.True(after.NextAttemptUtc <= DateTime.UtcNow, "the next attempt was moved to now");
        Assert.Single(JobClient.Created);
    }

    [Fact]
    public async Task A_held_delivery_offers_neither_retry_nor_redeliver_and_shows_why()
    {
        var (webhookId, _, failedId) = await SeedAsync();
        await using (var db = Database.CreateContext())
        {
            var held = await db.Deliveries.SingleAsync(d => d.Id == failedId);
            held.State = DeliveryState.Held;
            await db.SaveChangesAsync();
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=expand-delivery]").Count));
        var heldRow = cut.FindAll("tbody tr").Single(r => r.QuerySelector("[data-testid=expand-delivery]") is not null && r.TextContent.Contains("held"));
        Assert.Null(heldRow.QuerySelector("[data-testid=redeliver]"));
        Assert.Null(heldRow.QuerySelector("[data-testid=retry-now]"));
        heldRow.QuerySelector("[data-testid=expand-delivery]")!.Click();
        cut.WaitForAssertion(() => Assert.Contains("Enabling it sends this delivery", cut.Find("[data-testid=next-attempt]").TextContent));
    }

    [Fact]
    public async Task Deliveries_page_through_every_one_and_filter_by_state()
    {
        var (webhookId, _, _) = await SeedAsync();
        await using (var db = Database.CreateContext())
        {
            var messageId = (await db.Messages.FirstAsync()).Id;
            var now = DateTime.UtcNow;
            // 30 more delivered ones, older than the two seeded: 32 in all.
            db.Deliveries.AddRange(Enumerable.Range(1, 30).Select(i => new Delivery
            {
                Id = Guid.NewGuid(), MessageId = messageId, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhookId, TargetName = "crm", Url = "https://example.com/crm",
                State = DeliveryState.Delivered, AttemptCount = 1, LastStatus = 200, NextAttemptUtc = now, CreatedUtc = now.AddMinutes(-10 - i), UpdatedUtc = now,
            }));
            await db.SaveChangesAsync();
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));

        cut.WaitForAssertion(() => Assert.Equal(25, cut.FindAll("[data-testid=expand-delivery]").Count));
        Assert.Contains("(32)", cut.Find("[data-testid=deliveries-total]").TextContent);
        Assert.Contains("1-25 of 32", cut.Find(".mud-table-pagination").TextContent);

        cut.Find("button[aria-label='Next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(7, cut.FindAll("[data-testid=expand-delivery]").Count));
        Assert.Contains("26-32 of 32", cut.Find(".mud-table-pagination").TextContent);

        cut.FindAll("[data-testid=delivery-state-filter] .mud-chip").First(c => c.TextContent.Trim() == "pending").Click();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=expand-delivery]")));
        Assert.Contains("(1 pending)", cut.Find("[data-testid=deliveries-total]").TextContent);
        Assert.Contains("1-1 of 1", cut.Find(".mud-table-pagination").TextContent);
    }

    [Fact]
    public async Task A_bad_page_is_refused()
    {
        var (webhookId, _, _) = await SeedAsync();
        using var scope = AdminScope();
        var service = scope.ServiceProvider.GetRequiredService<DeliveryService>();

        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.PortalValidationException>(() => service.PageAsync(DeliveryTargetKind.Webhook, webhookId, null, 0, 25));
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.PortalValidationException>(() => service.PageAsync(DeliveryTargetKind.Webhook, webhookId, null, 1, 501));
        var page = await service.PageAsync(DeliveryTargetKind.Webhook, webhookId, DeliveryState.Failed, 1, 25);
        Assert.Equal(1, page.Total);
        Assert.Equal(DeliveryState.Failed, Assert.Single(page.Items).State);
    }

    [Fact]
    public async Task The_page_says_why_a_webhook_is_disabled_and_which_schedule_it_follows()
    {
        var (webhookId, _, _) = await SeedAsync();
        await using (var db = Database.CreateContext())
        {
            var webhook = await db.Webhooks.SingleAsync(w => w.Id == webhookId);
            webhook.RetrySchedule = "resilient";
            webhook.Disable(DateTime.UtcNow, "The receiver answered 410 Gone.", Webhook.DisabledByGone);
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));

        cut.WaitForAssertion(() => Assert.Equal("disabled", cut.Find("[data-testid=webhook-health]").GetAttribute("data-state")));
        Assert.Contains("410 Gone", cut.Find("[data-testid=webhook-health-reason]").TextContent);
        Assert.Contains("resilient · 8 attempts over about 27 hours", cut.Find("[data-testid=webhook-schedule]").TextContent);
    }

    [Fact]
    public async Task A_failing_webhook_says_since_when_and_when_its_probe_goes()
    {
        var (webhookId, _, _) = await SeedAsync();
        await using (var db = Database.CreateContext())
        {
            var webhook = await db.Webhooks.SingleAsync(w => w.Id == webhookId);
            webhook.FailingSinceUtc = new DateTime(2026, 11, 23, 11, 0, 0, DateTimeKind.Utc);
            webhook.ProbeAfterUtc = new DateTime(2026, 11, 23, 12, 5, 0, DateTimeKind.Utc);
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));

        cut.WaitForAssertion(() => Assert.Equal("failing", cut.Find("[data-testid=webhook-health]").GetAttribute("data-state")));
        var reason = cut.Find("[data-testid=webhook-health-reason]").TextContent;
        Assert.Contains("Every attempt since 2026-11-23 11:00 UTC failed.", reason);
        Assert.Contains("One probe goes at 2026-11-23 12:05:00 UTC", reason);
    }

    private async Task<Guid> AddFailedAsync(Guid webhookId, string eventType)
    {
        await using var db = Database.CreateContext();
        var now = DateTime.UtcNow;
        var integrationId = (await db.Webhooks.SingleAsync(w => w.Id == webhookId)).IntegrationId;
        var message = new Message { Id = Guid.NewGuid(), IntegrationId = integrationId, EventType = eventType, Payload = "{}", CreatedUtc = now };
        db.Messages.Add(message);
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = webhookId, TargetName = "crm", Url = "https://example.com/crm",
            State = DeliveryState.Failed, AttemptCount = 4, LastStatus = 500, NextAttemptUtc = now, CreatedUtc = now, UpdatedUtc = now,
        };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        return message.Id;
    }

    [Fact]
    public async Task Selected_deliveries_are_redelivered_with_a_count()
    {
        var (webhookId, _, _) = await SeedAsync();
        var messageId = await AddFailedAsync(webhookId, "invoice.paid");
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=expand-delivery]").Count));
        Assert.True(cut.Find("[data-testid=redeliver-selected]").HasAttribute("disabled"));

        var row = cut.FindAll("tbody tr").First(r => r.TextContent.Contains("invoice.paid", StringComparison.Ordinal));
        row.QuerySelector("input[type=checkbox]")!.Change(true);
        cut.WaitForAssertion(() => Assert.Contains("(1)", cut.Find("[data-testid=redeliver-selected]").TextContent));
        cut.Find("[data-testid=redeliver-selected]").Click();

        cut.WaitForAssertion(() => Assert.Contains("1 delivery queued again.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.MessageId == messageId && d.State == DeliveryState.Pending));
        // Its progress, kept in the URL for a reload.
        var jobId = (await db.Deliveries.SingleAsync(d => d.MessageId == messageId && d.State == DeliveryState.Pending)).JobId;
        Assert.NotNull(jobId);
        cut.WaitForAssertion(() => Assert.Equal("0 of 1 delivered · 0 failed · 1 pending", cut.Find("[data-testid=redelivery-status]").TextContent.Trim()));
        Assert.Contains($"redelivery={jobId}", Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
    }

    [Fact]
    public async Task Recover_failed_sends_the_failures_of_the_chosen_span_again()
    {
        var (webhookId, _, _) = await SeedAsync();
        var messageId = await AddFailedAsync(webhookId, "invoice.paid");
        SignInAsSupport();
        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=expand-delivery]").Count));

        cut.Find("[data-testid=recover-menu] button").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=recover-option]")));
        cut.FindAll("[data-testid=recover-option]").Last().Click();

        // The seeded failure's message is still pending to this webhook: only the other one is sent again.
        cut.WaitForAssertion(() => Assert.Contains("1 failed message of the last 30 days queued again.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.MessageId == messageId && d.State == DeliveryState.Pending));
        cut.WaitForAssertion(() => Assert.Equal("0 of 1 delivered · 0 failed · 1 pending", cut.Find("[data-testid=redelivery-status]").TextContent.Trim()));
    }

    [Fact]
    public async Task With_support_actions_off_support_gets_neither_selection_nor_recovery()
    {
        Services.Configure<WebhookPortal.Infrastructure.Auth.RoleOptions>(o => o.SupportMayRedeliver = false);
        var (webhookId, _, _) = await SeedAsync();
        SignInAsSupport();

        var cut = RenderWithProviders<WebhookDetailPage>(("Id", webhookId));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=expand-delivery]").Count));
        Assert.Empty(cut.FindAll("[data-testid=redeliver-selected]"));
        Assert.Empty(cut.FindAll("[data-testid=recover-menu]"));
        Assert.Empty(cut.FindAll("tbody input[type=checkbox]"));
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() =>
            Services.GetRequiredService<DeliveryService>().RecoverAsync(DeliveryTargetKind.Webhook, webhookId, DateTime.UtcNow.AddDays(-1)));
    }
}
