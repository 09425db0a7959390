using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class NotificationJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_creates_a_rule_through_the_form_whose_preview_follows_the_typing(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var org = "Rules " + Guid.NewGuid().ToString("N")[..6];
        await api.CreateIntegrationAsync(org);
        using (var admin = api.AsAdmin())
        {
            (await admin.PostAsJsonAsync($"v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks", new { name = "quota-hook-" + org[^6..], postURL = "https://hooks.example.com/q" })).EnsureSuccessStatusCode();
        }

        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/notifications");
        await Interactivity.WaitAsync(Page);
        await Page.GetByTestId("add-rule").ClickAsync();

        var editor = new ListenerEditorPage(Page);
        await editor.SelectAsync("rule-integration", org);
        var ruleName = "Quota " + org[^6..];
        await TextFields.TypeAsync(Page, "rule-name", ruleName);
        await Page.GetByTestId("from-0").FillAsync("80");
        await Page.GetByTestId("to-0").FillAsync("120");
        await Page.GetByTestId("step-0").FillAsync("10");
        await Expect(Page.GetByTestId("notify-preview")).ToContainTextAsync("Notify at: 80%, 90%, 100%, 110%, 120%");
        await Page.GetByTestId("step-0").FillAsync("20");
        await Expect(Page.GetByTestId("notify-preview")).ToContainTextAsync("Notify at: 80%, 100%, 120%");

        await SelectPopover.Field(Page, "rule-webhooks").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("quota-hook-" + org[^6..]).ClickAsync();
        // The multi-select's list must be closed, or it covers the Save button.
        await SelectPopover.CloseAsync(Page, "rule-webhooks");
        await Expect(Page.GetByTestId("rule-webhooks")).ToHaveValueAsync("quota-hook-" + org[^6..]);
        await Page.GetByTestId("save-rule").ClickAsync();

        await Expect(Page.GetByText($"Rule '{ruleName}' created.")).ToBeVisibleAsync();
        var row = Page.Locator("[data-testid=rules-table] tbody tr").Filter(new() { HasText = ruleName });
        await Expect(row).ToContainTextAsync("120%");
        await Expect(row).ToContainTextAsync("quota-hook-" + org[^6..]);
    });
}
