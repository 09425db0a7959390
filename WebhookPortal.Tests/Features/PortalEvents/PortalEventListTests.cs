using Bunit;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.PortalEvents;
using WebhookPortal.Features.PortalEvents.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.PortalEvents;

/// <summary>The portal events card: every webhook's on the dashboard (with links), one webhook's on its page, an empty state.</summary>
public sealed class PortalEventListTests : PortalComponentTest
{
    private async Task<(Guid Failing, Guid Disabled)> SeedAsync()
    {
        var integrationId = Guid.NewGuid();
        var failing = Guid.NewGuid();
        var disabled = Guid.NewGuid();
        var now = DateTime.UtcNow;
        await using var db = Database.CreateContext();
        db.Integrations.Add(new Integration { Id = integrationId, Name = "Billing", CreatedUtc = now, UpdatedUtc = now });
        db.PortalEvents.Add(new PortalEvent { Id = Guid.NewGuid(), TimeUtc = now.AddMinutes(-10), Type = PortalEventTypes.WebhookFailing, IntegrationId = integrationId, WebhookId = failing, Subject = "crm", Reason = "An attempt failed: The receiver answered 500." });
        db.PortalEvents.Add(new PortalEvent { Id = Guid.NewGuid(), TimeUtc = now.AddMinutes(-1), Type = PortalEventTypes.WebhookDisabled, IntegrationId = integrationId, WebhookId = disabled, Subject = "erp", Reason = "The receiver answered 410 Gone." });
        await db.SaveChangesAsync();
        return (failing, disabled);
    }

    [Fact]
    public async Task The_dashboard_lists_every_webhooks_events_newest_first_with_links()
    {
        var (failing, disabled) = await SeedAsync();
        SignInAsAdmin();

        var cut = RenderWithProviders<PortalEventList>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=portal-event]").Count));
        var rows = cut.FindAll("[data-testid=portal-event]");
        Assert.Equal(PortalEventTypes.WebhookDisabled, rows[0].GetAttribute("data-type"));
        Assert.Contains("410 Gone", rows[0].TextContent);
        Assert.Contains("Billing", rows[0].TextContent);
        Assert.Equal($"webhooks/{disabled}", rows[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal($"webhooks/{failing}", rows[1].QuerySelector("a")!.GetAttribute("href"));
    }

    [Fact]
    public async Task A_webhooks_page_shows_only_its_own_events()
    {
        var (failing, _) = await SeedAsync();
        SignInAsAdmin();

        var own = RenderWithProviders<PortalEventList>(("WebhookId", (Guid?)failing));
        own.WaitForAssertion(() => Assert.Single(own.FindAll("[data-testid=portal-event]")));
        Assert.Contains("answered 500", own.Markup);
        Assert.Empty(own.FindAll("[data-testid=portal-event] a"));
    }

    [Fact]
    public async Task A_webhook_without_events_says_so()
    {
        await SeedAsync();
        SignInAsAdmin();

        var none = RenderWithProviders<PortalEventList>(("WebhookId", (Guid?)Guid.NewGuid()));
        none.WaitForAssertion(() => Assert.Contains("No portal events for this webhook", none.Find("[data-testid=portal-events-empty]").TextContent));
    }
}
