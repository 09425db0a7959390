using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class WebhookJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_adds_a_webhook_and_flips_its_switch_which_persists(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var org = "Journey Billing " + Guid.NewGuid().ToString("N")[..6];
        await api.CreateIntegrationAsync(org);
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/webhooks");
        await Interactivity.WaitAsync(Page);

        await Page.GetByTestId("add-webhook").ClickAsync();
        await new ListenerEditorPage(Page).SelectAsync("webhook-integration", org);
        var name = "quota-" + Guid.NewGuid().ToString("N")[..6];
        await TextFields.TypeAsync(Page, "webhook-name", name);
        await TextFields.TypeAsync(Page, "webhook-url", "https://hooks.example.com/" + name);
        await Page.GetByTestId("save-webhook").ClickAsync();
        await Expect(Page.GetByText($"Webhook '{name}' created.")).ToBeVisibleAsync();

        var row = Page.Locator("[data-testid=webhooks-table] tbody tr").Filter(new() { HasText = name });
        await Expect(row).ToHaveCountAsync(1);
        await row.Locator("input[data-testid=webhook-enabled]").ClickAsync();
        await Expect(Page.GetByText($"Webhook '{name}' disabled.")).ToBeVisibleAsync();

        // Persisted: the mint webhooks API (docs/compatibility.md#mint-webhooks-api) says it is disabled, and a reload shows the switch off.
        using var admin = api.AsAdmin();
        var list = await admin.GetFromJsonAsync<JsonElement>($"v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks");
        Assert.False(list.GetProperty("webhooks").EnumerateArray().Single(w => w.GetProperty("name").GetString() == name).GetProperty("enabled").GetBoolean());
        await Page.ReloadAsync();
        await Interactivity.WaitAsync(Page);
        await Expect(Page.Locator("[data-testid=webhooks-table] tbody tr").Filter(new() { HasText = name }).Locator("input[data-testid=webhook-enabled]")).Not.ToBeCheckedAsync();
    });
}
