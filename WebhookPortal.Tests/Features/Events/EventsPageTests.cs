using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Events.Pages;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Events;

public sealed class EventsPageTests : PortalComponentTest
{
    [Fact]
    public async Task Support_opens_an_event_type_read_only_with_no_add_delete_or_save()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using (var scope = AdminScope())
        {
            var listener = await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().CreateAsync(integrationId, new ListenerRequest("Opportunities", true, null, null));
            using var sample = JsonDocument.Parse("""[{"id":1,"name":"Deal"}]""");
            await scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listener.Id, new TablesRequest(sample.RootElement.Clone(), "opps", null, ["id"]));
            await scope.ServiceProvider.GetRequiredService<EventTypeCatalog>().CreateAsync(integrationId, new EventTypeRequest("NewOpportunity", null, listener.Id, ["insert"], "(r) => r", true));
        }

        SignInAsSupport();
        var cut = RenderWithProviders<EventsPage>();
        cut.WaitForAssertion(() => Assert.Contains("NewOpportunity", cut.Find("[data-testid=event-types-table]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=add-event-type]"));
        Assert.Empty(cut.FindAll("[aria-label='Delete event type']"));

        cut.Find("[data-testid=edit-event-type]").Click();

        cut.WaitForAssertion(() => cut.Find("input[data-testid=event-name]"));
        Assert.True(cut.Find("input[data-testid=event-name]").HasAttribute("readonly"));
        Assert.Empty(cut.FindAll("[data-testid=save-event-type]"));
        Assert.Empty(cut.FindAll("[aria-label='Delete subscription']"));
    }
}
