using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Features.Webhooks.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

public sealed class WebhooksPageTests : PortalComponentTest
{
    private async Task<Guid> SeedIntegrationAsync(string name = "Billing")
    {
        await using var db = Database.CreateContext();
        var integration = new Integration { Id = Guid.NewGuid(), Name = name, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        db.Integrations.Add(integration);
        await db.SaveChangesAsync();
        return integration.Id;
    }

    private async Task<WebhookView> SeedWebhookAsync(string name, bool enabled = true)
    {
        var integrationId = await SeedIntegrationAsync("Int " + name);
        using var scope = AdminScope();
        return await scope.ServiceProvider.GetRequiredService<WebhookCatalog>()
            .CreateAsync(integrationId, new WebhookRequest(name, "https://example.com/" + name, enabled, null, null), "admin@test.local");
    }

    [Fact]
    public void With_no_webhooks_the_empty_state_explains_them()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => Assert.Contains("signed (Standard Webhooks)", cut.Find("[data-testid=webhooks-empty]").TextContent));
    }

    [Fact]
    public async Task Lists_webhooks_and_search_filters()
    {
        await SeedWebhookAsync("quota");
        await SeedWebhookAsync("orders");
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count));

        cut.Find("input[data-testid=webhook-search]").Input("quota");

        cut.WaitForAssertion(() => Assert.Contains("https://example.com/quota", Assert.Single(cut.FindAll("tbody tr")).TextContent));
    }

    [Fact]
    public async Task The_row_switch_disables_at_once_with_a_snackbar()
    {
        var webhook = await SeedWebhookAsync("quota");
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.FindComponent<MudSwitch<bool>>());

        await cut.InvokeAsync(() => cut.FindComponent<MudSwitch<bool>>().Instance.ValueChanged.InvokeAsync(false));

        cut.WaitForAssertion(() => Assert.Contains("Webhook 'quota' disabled.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.False((await db.Webhooks.SingleAsync(w => w.Id == webhook.Id)).Enabled);
    }

    [Fact]
    public async Task Adding_through_the_dialog_validates_then_stores_the_webhook()
    {
        await SeedIntegrationAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-webhook]"));
        cut.Find("[data-testid=add-webhook]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=webhook-name]"));

        cut.Find("input[data-testid=webhook-name]").Input("alerts");
        cut.Find("input[data-testid=webhook-url]").Input("http://10.0.0.5/hook");
        cut.Find("[data-testid=save-webhook]").Click();
        cut.WaitForAssertion(() => Assert.Contains("non-public address (private)", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(0, await db.Webhooks.CountAsync());
        }

        cut.Find("input[data-testid=webhook-url]").Input("https://hooks.example.com/alerts");
        cut.Find("input[data-testid=webhook-event-types]").Input("usage.threshold, order.created");
        cut.Find("[data-testid=save-webhook]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Webhook 'alerts' created.", cut.Markup));
        await using var check = Database.CreateContext();
        var stored = await check.Webhooks.SingleAsync();
        Assert.Equal("https://hooks.example.com/alerts", stored.PostUrl);
        Assert.Equal(["usage.threshold", "order.created"], stored.EventTypes);
    }

    [Fact]
    public async Task Delete_with_a_pending_delivery_offers_force_and_cancels_it()
    {
        var webhook = await SeedWebhookAsync("quota");
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=send-test]"));
        cut.Find("[data-testid=send-test]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Test event queued", cut.Markup));

        cut.Find("[data-testid=delete-webhook]").Click();
        cut.WaitForAssertion(() => Assert.Contains("1 pending deliveries will be cancelled", cut.Find(".mud-dialog").TextContent));
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")));
        await using (var db = Database.CreateContext())
        {
            Assert.True(await db.Webhooks.AnyAsync(w => w.Id == webhook.Id));
        }

        cut.Find("[data-testid=delete-webhook]").Click();
        cut.WaitForAssertion(() => cut.Find(".mud-dialog"));
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Force delete").Click();

        cut.WaitForAssertion(() => Assert.Contains("deleted", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            Assert.False(await db.Webhooks.AnyAsync(w => w.Id == webhook.Id));
            Assert.Equal(WebhookPortal.Features.Deliveries.DeliveryState.Cancelled, (await db.Deliveries.SingleAsync(d => d.TargetId == webhook.Id)).State);
        }
    }

    [Fact]
    public async Task Send_test_event_records_a_delivery_and_hands_it_to_hangfire()
    {
        var webhook = await SeedWebhookAsync("quota");
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=send-test]"));

        cut.Find("[data-testid=send-test]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Test event queued for 'quota'", cut.Markup));
        await using var db = Database.CreateContext();
        var delivery = await db.Deliveries.Include(d => d.Message).SingleAsync(d => d.TargetId == webhook.Id);
        Assert.Equal("webhook.test", delivery.Message!.EventType);
        var (job, _) = Assert.Single(JobClient.Created);
        Assert.Equal(nameof(WebhookPortal.Features.Deliveries.DeliveryDispatcher.Queue), job.Method.Name);
        Assert.Equal(webhook.Id, job.Args[1]);
        Assert.Equal(delivery.Id, job.Args[0]);
    }

    [Fact]
    public async Task Support_sees_no_add_edit_delete_or_test_controls()
    {
        await SeedWebhookAsync("quota");
        SignInAsSupport();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => Assert.Contains("quota", cut.Find("tbody").TextContent));

        Assert.Empty(cut.FindAll("[data-testid=add-webhook]"));
        Assert.Empty(cut.FindAll("[data-testid=edit-webhook]"));
        Assert.Empty(cut.FindAll("[data-testid=delete-webhook]"));
        Assert.Empty(cut.FindAll("[data-testid=send-test]"));
        // Read-only looks read-only: the switch is disabled, not a live control that does nothing.
        Assert.True(cut.FindComponent<MudSwitch<bool>>().Instance.Disabled);
        Assert.True(DisabledInput(cut.Find("[data-testid=enabled-read-only]")));
    }

    [Fact]
    public async Task The_edit_dialog_reveals_and_rotates_the_secret()
    {
        var webhook = await SeedWebhookAsync("quota");
        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=edit-webhook]"));
        cut.Find("[data-testid=edit-webhook]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=reveal-secret]"));
        Assert.DoesNotContain("whsec_", cut.Markup);

        cut.Find("[data-testid=reveal-secret]").Click();

        string? shown = null;
        cut.WaitForAssertion(() =>
        {
            shown = cut.Find("input[data-testid=webhook-secret]").GetAttribute("value");
            Assert.StartsWith("whsec_", shown);
        });
        using var scope = AdminScope();
        Assert.Equal(await scope.ServiceProvider.GetRequiredService<WebhookSecrets>().GetSecretAsync(webhook.Id), shown);
    }

    [Fact]
    public async Task Support_s_webhook_page_never_holds_a_custom_header_value()
    {
        var integrationId = await SeedIntegrationAsync("Int masked");
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<WebhookCatalog>().CreateAsync(integrationId,
                new WebhookRequest("crm", "https://example.com/crm", true, null, new Dictionary<string, string> { ["X-Api-Key"] = "sk_live_page_secret" }), "admin@test.local");
        }

        SignInAsSupport();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => Assert.Contains("crm", cut.Find("tbody").TextContent));
        Assert.DoesNotContain("sk_live_page_secret", cut.Markup);

        // What the page's service hands a Support circuit is masked, so no later view can show it.
        var views = await Services.GetRequiredService<WebhookCatalog>().ListAllAsync();
        var view = Assert.Single(views);
        Assert.Equal(WebhookView.MaskedValue, view.Headers["X-Api-Key"]);
        Assert.True(view.HeadersMasked);
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => Services.GetRequiredService<WebhookSecrets>().GetSecretAsync(view.Id));
    }

    [Fact]
    public async Task The_dialog_offers_the_integrations_defined_event_types_and_free_text_still_works()
    {
        var integrationId = await SeedIntegrationAsync();
        using (var scope = AdminScope())
        {
            var listener = await scope.ServiceProvider.GetRequiredService<WebhookPortal.Features.Listeners.ListenerCatalog>()
                .CreateAsync(integrationId, new WebhookPortal.Features.Listeners.Contracts.ListenerRequest("Orders", true, null, null));
            var types = scope.ServiceProvider.GetRequiredService<WebhookPortal.Features.Events.EventTypeCatalog>();
            await types.CreateAsync(integrationId, new WebhookPortal.Features.Events.EventTypeRequest("order.created", null, listener.Id, ["insert"], null, true));
            await types.CreateAsync(integrationId, new WebhookPortal.Features.Events.EventTypeRequest("order.cancelled", null, listener.Id, ["delete"], null, true));
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-webhook]"));
        cut.Find("[data-testid=add-webhook]").Click();
        // The integration's own types first, then the portal's catalog.
        cut.WaitForAssertion(() => Assert.Equal(["order.cancelled", "order.created", "portal.webhook.failing", "portal.webhook.disabled"], cut.FindAll("[data-testid=event-type-option]").Select(c => c.TextContent.Trim()).ToArray()));

        cut.Find("input[data-testid=webhook-name]").Input("orders");
        cut.Find("input[data-testid=webhook-url]").Input("https://hooks.example.com/orders");
        cut.Find("input[data-testid=webhook-event-types]").Input("legacy.sync");
        cut.FindAll("[data-testid=event-type-option]").Single(c => c.TextContent.Trim() == "order.created").Click();
        cut.WaitForAssertion(() => Assert.Equal("legacy.sync, order.created", cut.Find("input[data-testid=webhook-event-types]").GetAttribute("value")));
        cut.Find("[data-testid=save-webhook]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Webhook 'orders' created.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.Equal(["legacy.sync", "order.created"], (await db.Webhooks.SingleAsync()).EventTypes);
    }

    [Fact]
    public async Task The_dialog_picks_a_retry_schedule_and_says_what_it_spans()
    {
        var integrationId = await SeedIntegrationAsync();
        WebhookView webhook;
        using (var scope = AdminScope())
        {
            webhook = await scope.ServiceProvider.GetRequiredService<WebhookCatalog>()
                .CreateAsync(integrationId, new WebhookRequest("crm", "https://example.com/crm", true, null, null, "00:00:30,00:10:00"), "admin@test.local");
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=edit-webhook]"));
        cut.Find("[data-testid=edit-webhook]").Click();

        // The stored list shows as custom delays with their span.
        cut.WaitForAssertion(() => Assert.Equal("00:00:30,00:10:00", cut.Find("input[data-testid=webhook-retry-delays]").GetAttribute("value")));
        Assert.Contains("3 attempts over 10 minutes", cut.Find(".mud-dialog").TextContent);

        // A bad list is refused with the reason, and nothing changes.
        cut.Find("input[data-testid=webhook-retry-delays]").Input("soon");
        cut.WaitForAssertion(() => Assert.True(cut.Find(".mud-dialog").TextContent.Contains("'soon' is not a delay", StringComparison.Ordinal), cut.Find(".mud-dialog").TextContent), TimeSpan.FromSeconds(3));
        cut.Find("[data-testid=save-webhook]").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".mud-dialog .mud-input-error")));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal("00:00:30,00:10:00", (await db.Webhooks.AsNoTracking().SingleAsync()).RetrySchedule);
        }

        var select = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Retry schedule");
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync("resilient"));
        cut.WaitForAssertion(() => Assert.Contains("8 attempts over about 27 hours", cut.Find(".mud-dialog").TextContent));
        Assert.Empty(cut.FindAll("input[data-testid=webhook-retry-delays]"));
        cut.Find("[data-testid=save-webhook]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal("resilient", (await db.Webhooks.AsNoTracking().SingleAsync()).RetrySchedule);
        }
    }

    [Fact]
    public async Task The_list_shows_each_webhooks_health()
    {
        var healthy = await SeedWebhookAsync("healthy-one");
        var failing = await SeedWebhookAsync("failing-one");
        var gone = await SeedWebhookAsync("gone-one");
        await using (var db = Database.CreateContext())
        {
            var f = await db.Webhooks.SingleAsync(w => w.Id == failing.Id);
            f.FailingSinceUtc = DateTime.UtcNow.AddHours(-2);
            var g = await db.Webhooks.SingleAsync(w => w.Id == gone.Id);
            g.Disable(DateTime.UtcNow, "The receiver answered 410 Gone.", Webhook.DisabledByGone);
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<WebhooksPage>();

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=webhook-health]").Count));
        string StateOf(string name) => cut.FindAll("tbody tr").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal)).QuerySelector("[data-testid=webhook-health]")!.GetAttribute("data-state")!;
        Assert.Equal("healthy", StateOf("healthy-one"));
        Assert.Equal("failing", StateOf("failing-one"));
        Assert.Equal("disabled", StateOf("gone-one"));
    }

    [Fact]
    public async Task The_edit_dialog_shows_the_rotation_overlap_and_expires_it_on_request()
    {
        var webhook = await SeedWebhookAsync("quota");
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<WebhookSecrets>().RotateSecretAsync(webhook.Id, "admin@test.local", TimeSpan.FromHours(3));
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<WebhooksPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=edit-webhook]"));
        cut.Find("[data-testid=edit-webhook]").Click();

        cut.WaitForAssertion(() => Assert.Contains("also signs until 2026-11-23 15:00 UTC", cut.Find("[data-testid=previous-secret]").TextContent));
        cut.Find("[data-testid=expire-previous]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=previous-secret]")));
        Assert.Contains("The previous secret no longer signs.", cut.Markup);
        await using var db = Database.CreateContext();
        Assert.Null((await db.Webhooks.AsNoTracking().SingleAsync()).PreviousProtectedSecret);
    }
}
