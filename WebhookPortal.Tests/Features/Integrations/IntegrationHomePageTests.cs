using Bunit;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Integrations.Pages;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

/// <summary>/integrations/{id}: one integration's listeners, webhooks, event types, rules and recent log, each linking into its page.</summary>
public sealed class IntegrationHomePageTests : PortalComponentTest
{
    [Fact]
    public async Task Shows_everything_of_one_integration_with_links_and_nothing_of_another()
    {
        var crm = Guid.NewGuid();
        var other = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.AddRange(
                new Integration { Id = crm, Name = "CRM", Description = "The sales system", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow },
                new Integration { Id = other, Name = "Billing", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        ListenerView orders;
        WebhookView crmHook;
        using (var scope = AdminScope())
        {
            var listeners = scope.ServiceProvider.GetRequiredService<ListenerCatalog>();
            orders = await listeners.CreateAsync(crm, new ListenerRequest("Orders", true, null, null));
            await listeners.CreateAsync(other, new ListenerRequest("Invoices", true, null, null));
            var webhooks = scope.ServiceProvider.GetRequiredService<WebhookCatalog>();
            crmHook = await webhooks.CreateAsync(crm, new WebhookRequest("crm-sync", "https://hooks.example.com/crm", true, null, null), "admin");
            await webhooks.CreateAsync(other, new WebhookRequest("billing-sync", "https://hooks.example.com/billing", true, null, null), "admin");
            await scope.ServiceProvider.GetRequiredService<EventTypeCatalog>().CreateAsync(crm, new EventTypeRequest("order.created", null, orders.Id, ["insert"], null, true));
        }

        await using (var db = Database.CreateContext())
        {
            var now = DateTime.UtcNow;
            db.LogEntries.AddRange(
                new LogEntry { TimeUtc = now.AddMinutes(-2), Direction = LogDirection.Inbound, IntegrationId = crm, SourceId = orders.Id, Name = "Orders", Method = "POST", Path = "/hooks/x", Status = 200, State = LogState.Success },
                new LogEntry { TimeUtc = now.AddMinutes(-1), Direction = LogDirection.Inbound, IntegrationId = crm, SourceId = orders.Id, Name = "Orders", Method = "POST", Path = "/hooks/x", Status = 422, State = LogState.Error },
                new LogEntry { TimeUtc = now, Direction = LogDirection.Inbound, IntegrationId = other, Name = "Invoices", Method = "POST", Path = "/hooks/y", Status = 200, State = LogState.Success });
            await db.SaveChangesAsync();
        }

        SignInAsSupport();
        var cut = RenderWithProviders<IntegrationHomePage>(("Id", crm));

        cut.WaitForAssertion(() => Assert.Equal("CRM", cut.Find("[data-testid=integration-title]").TextContent.Trim()));
        Assert.Contains("The sales system", cut.Markup);
        var listenerLink = cut.Find("[data-testid=integration-listeners] a");
        Assert.Equal("Orders", listenerLink.TextContent.Trim());
        Assert.EndsWith($"listeners/{orders.Id}", listenerLink.GetAttribute("href"));
        Assert.Contains("422", cut.Find("[data-testid=integration-listeners]").TextContent);
        var webhookLink = cut.Find("[data-testid=integration-webhooks] a");
        Assert.Equal("crm-sync", webhookLink.TextContent.Trim());
        Assert.EndsWith($"webhooks/{crmHook.Id}", webhookLink.GetAttribute("href"));
        Assert.Equal("healthy", cut.Find("[data-testid=integration-webhooks] [data-testid=webhook-health]").GetAttribute("data-state"));
        Assert.Contains("order.created", cut.Find("[data-testid=integration-event-types]").TextContent);
        Assert.Contains("No rule yet", cut.Find("[data-testid=integration-rules]").TextContent);
        Assert.Equal(2, cut.FindAll("[data-testid=integration-recent-log] tbody tr").Count);
        Assert.DoesNotContain("Invoices", cut.Markup);
        Assert.DoesNotContain("billing-sync", cut.Markup);
        Assert.Contains("1", cut.Find("[data-testid=\"count-Errors (24 h)\"]").TextContent);
        Assert.Contains("state=error", cut.Find("[data-testid=\"count-Errors (24 h)\"]").GetAttribute("href"));
    }

    [Fact]
    public void An_unknown_integration_says_so()
    {
        SignInAsSupport();
        var cut = RenderWithProviders<IntegrationHomePage>(("Id", Guid.NewGuid()));

        cut.WaitForAssertion(() => cut.Find("[data-testid=integration-not-found]"));
    }
}
