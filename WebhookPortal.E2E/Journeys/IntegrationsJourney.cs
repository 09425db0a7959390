using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class IntegrationsJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_adds_an_integration_and_finds_it_in_the_table(string viewport) => RunAsync(viewport, async () =>
    {
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        var integrations = new IntegrationsPage(Page);
        await integrations.GoToAsync();
        var name = "E2E CRM " + Guid.NewGuid().ToString("N")[..6];

        await integrations.AddAsync(name, "Created from the browser");

        await Expect(Page.GetByText($"Integration '{name}' created.")).ToBeVisibleAsync();
        await Expect(integrations.Rows.Filter(new() { HasText = name })).ToHaveCountAsync(1);

        // Persisted: still there after a full reload.
        await integrations.GoToAsync();
        await integrations.SearchAsync(name);
        await Expect(integrations.Rows.Filter(new() { HasText = name })).ToHaveCountAsync(1);
        await Expect(integrations.Rows.Filter(new() { HasText = "Created from the browser" })).ToHaveCountAsync(1);
    });

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task Esc_closes_a_dialog_without_saving(string viewport) => RunAsync(viewport, async () =>
    {
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        var integrations = new IntegrationsPage(Page);
        await integrations.GoToAsync();
        var name = "E2E Esc " + Guid.NewGuid().ToString("N")[..6];
        await Page.GetByTestId("add-integration").ClickAsync();
        await Page.GetByTestId("integration-name").FillAsync(name);

        await Page.Keyboard.PressAsync("Escape");

        await Expect(Page.Locator(".mud-dialog")).ToHaveCountAsync(0);
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        using var admin = api.AsAdmin();
        var stored = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(admin, "api/integrations");
        Assert.DoesNotContain(stored.EnumerateArray(), i => i.GetProperty("name").GetString() == name);
    });
}
