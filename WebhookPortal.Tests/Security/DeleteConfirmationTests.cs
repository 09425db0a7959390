using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Integrations.Pages;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>The delete confirmations say what goes with an integration or a listener, in counts, before anything is deleted.</summary>
public sealed class DeleteConfirmationTests : PortalComponentTest
{
    private async Task<(Guid IntegrationId, Guid ListenerId)> SeedAsync()
    {
        var now = DateTime.UtcNow;
        var integrationId = Guid.NewGuid();
        var listenerId = Guid.NewGuid();
        await using var db = Database.CreateContext();
        db.Integrations.Add(new Integration { Id = integrationId, Name = "Doomed", CreatedUtc = now, UpdatedUtc = now });
        db.Listeners.Add(new Listener { Id = listenerId, IntegrationId = integrationId, Name = "orders", CreatedUtc = now, UpdatedUtc = now });
        db.Listeners.Add(new Listener { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = "tickets", CreatedUtc = now, UpdatedUtc = now });
        foreach (var name in new[] { "a", "b", "c" })
        {
            db.Webhooks.Add(new Webhook { Id = Guid.NewGuid(), IntegrationId = integrationId, Name = name, PostUrl = "https://example.invalid/" + name, CreatedUtc = now, UpdatedUtc = now, ProtectedSecret = "s" });
        }

        var eventTypeId = Guid.NewGuid();
        db.EventTypes.Add(new EventType { Id = eventTypeId, IntegrationId = integrationId, ListenerId = listenerId, Name = "NewOrder", ActionsJson = "[\"insert\"]", CreatedUtc = now, UpdatedUtc = now });
        db.Subscriptions.Add(new Subscription { Id = Guid.NewGuid(), EventTypeId = eventTypeId, TargetUrl = "https://zap.example.invalid/", ProtectedSecret = "x", OwnerId = "o", CreatedUtc = now });
        db.NotificationRules.Add(new NotificationRule { Id = Guid.NewGuid(), IntegrationId = integrationId, ListenerId = listenerId, Name = "quota", ConditionsJson = "[]", WebhookIdsJson = "[]", CreatedUtc = now, UpdatedUtc = now });
        await db.SaveChangesAsync();

        // Five stored records in real generated tables.
        using var scope = AdminScope();
        await scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listenerId,
            new TablesRequest(System.Text.Json.JsonDocument.Parse("""{"id":1}""").RootElement, "orders", null, ["id"]));
        await using var data = Database.CreateContext();
        var table = WebhookPortal.Features.Listeners.Tables.SqlDialect.PhysicalName(listenerId, "orders");
        for (var i = 1; i <= 5; i++)
        {
            var insert = $"INSERT INTO \"{table}\" (\"id\", \"lastModified\") VALUES ({i}, '2026-01-01')";
            await data.Database.ExecuteSqlRawAsync(insert);
        }

        return (integrationId, listenerId);
    }

    [Fact]
    public async Task The_integration_delete_dialog_counts_listeners_records_webhooks_rules_and_event_types()
    {
        await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<IntegrationsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=delete-integration]"));

        cut.Find("[data-testid=delete-integration]").Click();

        cut.WaitForAssertion(() =>
        {
            var text = cut.Find(".mud-dialog").TextContent;
            Assert.Contains("Delete 'Doomed'?", text);
            Assert.Contains("2 listeners with 5 stored records", text);
            Assert.Contains("3 webhooks", text);
            Assert.Contains("1 notification rule,", text);
            Assert.Contains("1 event type and 1 subscription", text);
        });
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        await using var db = Database.CreateContext();
        Assert.Equal(2, db.Listeners.Count());
    }

    [Fact]
    public async Task The_listener_delete_dialog_counts_its_records_rules_and_event_types()
    {
        var (_, listenerId) = await SeedAsync();
        SignInAsAdmin();
        var cut = Render<ContainerFragment>(p => p.AddChildContent(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
            builder.OpenComponent<ListenerEditor>(3);
            builder.AddComponentParameter(4, nameof(ListenerEditor.Id), (Guid?)listenerId);
            builder.CloseComponent();
        }));
        cut.WaitForAssertion(() => cut.Find("[data-testid=delete-listener]"));

        cut.Find("[data-testid=delete-listener]").Click();

        cut.WaitForAssertion(() =>
        {
            var text = cut.Find(".mud-dialog").TextContent;
            Assert.Contains("5 stored records", text);
            Assert.Contains("1 notification rule", text);
            Assert.Contains("1 event type and 1 subscription", text);
        });
    }
}
