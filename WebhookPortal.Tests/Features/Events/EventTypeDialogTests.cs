using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Events.Pages;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Events;

public sealed class EventTypeDialogTests : PortalComponentTest
{
    public EventTypeDialogTests() => SignInAsAdmin();

    private async Task<ListenerView> SeedListenerAsync()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        var listeners = scope.ServiceProvider.GetRequiredService<ListenerCatalog>();
        var listener = await listeners.CreateAsync(integrationId, new ListenerRequest("Opportunities", true, null, null));
        using var sample = System.Text.Json.JsonDocument.Parse("""{"sample":[{"id":1,"name":"Sample deal","isProject":true}],"baseName":"opps","primaryKey":["id"]}""");
        await scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listener.Id, new TablesRequest(sample.RootElement.GetProperty("sample").Clone(), "opps", null, ["id"]));
        return listener;
    }

    [Fact]
    public async Task Creating_an_event_type_with_a_script_lists_it_and_test_shows_the_payload()
    {
        var listener = await SeedListenerAsync();
        var cut = RenderWithProviders<EventsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-event-type]"));
        cut.Find("[data-testid=add-event-type]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=event-name]"));

        cut.Find("input[data-testid=event-name]").Change("NewOpportunity");
        var listenerSelect = cut.FindComponents<MudBlazor.MudSelect<Guid?>>().Single(s => s.Instance.Label == "Listener");
        await cut.InvokeAsync(() => listenerSelect.Instance.ValueChanged.InvokeAsync(listener.Id));
        cut.Find("textarea[data-testid=event-script]").Input("(record, action) => record.isProject ? ({ title: record.name.toUpperCase(), action }) : null");
        cut.Find("[data-testid=save-event-type]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Event type 'NewOpportunity' created.", cut.Markup));
        Assert.Contains("NewOpportunity", cut.Find("[data-testid=event-types-table] tbody").TextContent);

        cut.Find("[data-testid=edit-event-type]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=test-event]"));
        cut.Find("[data-testid=test-event]").Click();
        cut.WaitForAssertion(() => Assert.Contains("\"title\": \"SAMPLE DEAL\"", cut.Find("[data-testid=event-test-payload]").TextContent));
    }

    [Fact]
    public async Task Test_runs_the_script_in_the_editor_without_saving_it()
    {
        var listener = await SeedListenerAsync();
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventTypeCatalog>().CreateAsync(listener.IntegrationId,
                new EventTypeRequest("Saved", null, listener.Id, ["insert"], "(record) => ({ version: 'saved' })", true));
        }

        var cut = RenderWithProviders<EventsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=edit-event-type]"));
        cut.Find("[data-testid=edit-event-type]").Click();
        cut.WaitForAssertion(() => cut.Find("textarea[data-testid=event-script]"));
        cut.Find("textarea[data-testid=event-script]").Input("(record) => ({ version: 'draft', name: record.name })");
        cut.Find("[data-testid=test-event]").Click();

        cut.WaitForAssertion(() => Assert.Contains("\"version\": \"draft\"", cut.Find("[data-testid=event-test-payload]").TextContent));
        await using var db = Database.CreateContext();
        Assert.Equal("(record) => ({ version: 'saved' })", (await db.EventTypes.SingleAsync()).Script);
    }

    [Fact]
    public async Task Save_clicked_while_the_last_edit_is_still_on_its_way_saves_that_edit()
    {
        var listener = await SeedListenerAsync();
        var cut = RenderWithProviders<EventsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-event-type]"));
        cut.Find("[data-testid=add-event-type]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=event-name]"));
        cut.Find("input[data-testid=event-name]").Change("LateEdit");
        var listenerSelect = cut.FindComponents<MudBlazor.MudSelect<Guid?>>().Single(s => s.Instance.Label == "Listener");
        await cut.InvokeAsync(() => listenerSelect.Instance.ValueChanged.InvokeAsync(listener.Id));

        const string script = "(record) => ({ late: true })";
        EditorLatency.Hold();
        var typing = cut.Find("textarea[data-testid=event-script]").InputAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = script });
        var saving = cut.Find("[data-testid=save-event-type]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());

        // The positive sign that Save reached the point where it waits for the editor (it has looked at the edits).
        var edits = Services.GetRequiredService<WebhookPortal.Components.Shared.CodeEditorEdits>();
        await Eventually.TrueAsync(() => edits.Looks >= 1, "Save waiting for the editor's last edit", TimeSpan.FromSeconds(5));
        Assert.False(saving.IsCompleted, "Save must wait for the editor's last edit.");
        await using (var db = Database.CreateContext())
        {
            Assert.Empty(await db.EventTypes.ToListAsync());
        }

        EditorLatency.Release();
        await typing;
        await saving;
        cut.WaitForAssertion(() => Assert.Contains("Event type 'LateEdit' created.", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(script, (await db.EventTypes.SingleAsync()).Script);
        }
    }

    [Fact]
    public async Task A_failing_script_shows_its_error_with_the_line()
    {
        var listener = await SeedListenerAsync();
        EventTypeView created;
        using (var scope = AdminScope())
        {
            created = await scope.ServiceProvider.GetRequiredService<EventTypeCatalog>().CreateAsync(listener.IntegrationId,
                new EventTypeRequest("Broken", null, listener.Id, ["insert"], "(record) => {\n  throw new Error('no mapping for ' + record.id);\n}", true));
        }

        var cut = RenderWithProviders<EventsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=edit-event-type]"));
        cut.Find("[data-testid=edit-event-type]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=test-event]"));
        cut.Find("[data-testid=test-event]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Line 2: no mapping for 1", cut.Find("[data-testid=event-test-error]").TextContent));
        Assert.Equal("Broken", created.Name);
    }
}
