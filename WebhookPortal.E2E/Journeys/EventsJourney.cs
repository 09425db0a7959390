using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class EventsJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_creates_an_event_type_with_a_script_in_monaco_and_tests_it(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var integration = "Events CRM " + suffix;
        var integrationId = await api.CreateIntegrationAsync(integration);
        var listenerName = "Opportunities " + suffix;
        var (_, hookPath, token) = await api.CreateListenerAsync(integrationId, listenerName, """{"items":[{"id":1,"name":"x","isProject":true}]}""", "items");
        Assert.Equal(200, await api.PushAsync(hookPath, token, """{"items":[{"id":7,"name":"Solar farm","isProject":true}]}"""));

        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/events");
        await Interactivity.WaitAsync(Page);
        await Page.GetByTestId("add-event-type").ClickAsync();

        var editor = new ListenerEditorPage(Page);
        await editor.SelectAsync("event-integration", integration);
        await editor.SelectAsync("event-listener", listenerName);
        var eventName = "NewOpportunity" + suffix;
        await TextFields.TypeAsync(Page, "event-name", eventName);
        await Page.Locator("[data-testid=event-script][data-ready=true]").WaitForAsync();
        var monaco = Page.Locator("[data-testid=event-script] .monaco-editor[role=code]");
        await monaco.ClickAsync();
        await Page.Keyboard.PressAsync("Control+A");
        await Page.Keyboard.PressAsync("Delete");
        // A blank start is kept: the dialog stores blank as "no script", and the editor must not push that back over the typing.
        await Page.Keyboard.InsertTextAsync("  ");
        // A deliberate pause, not a wait for a state: the regression (the circuit pushing "no script" back into the
        // editor) can only show after the blank made a round trip, and "nothing was pushed back" has no page signal.
        // The assertion on the saved script below is what fails if it happens.
        await Page.WaitForTimeoutAsync(1000);
        await Page.Keyboard.InsertTextAsync("(record, action) => record.isProject ? ({ opportunity: record.name, action }) : null");
        // Saved straight after typing: the dialog waits for Monaco's last edit to reach the circuit.
        await Page.GetByTestId("save-event-type").ClickAsync();
        await Expect(Page.GetByText($"Event type '{eventName}' created.")).ToBeVisibleAsync();
        using (var admin = api.AsAdmin())
        {
            var types = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/integrations/{integrationId}/event-types");
            var saved = types.EnumerateArray().Single(t => t.GetProperty("name").GetString() == eventName);
            Assert.Equal("  (record, action) => record.isProject ? ({ opportunity: record.name, action }) : null", saved.GetProperty("script").GetString());
        }

        await Page.Locator("[data-testid=event-types-table] tbody tr").Filter(new() { HasText = eventName }).GetByTestId("edit-event-type").ClickAsync();
        await Page.GetByTestId("test-event").ClickAsync();
        await Expect(Page.GetByTestId("event-test-payload")).ToContainTextAsync("\"opportunity\": \"Solar farm\"");
        await Expect(Page.GetByTestId("event-test-payload")).ToContainTextAsync("\"action\": \"insert\"");
        var tour = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");
        Directory.CreateDirectory(tour);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(tour, "40-event-type.png") });
    });
}
