using System.Net.Http.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class SupportJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task A_support_user_filters_to_one_listeners_errors_and_opens_an_entry(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var email = $"support-{suffix}@e2e.local";
        using (var admin = api.AsAdmin())
        {
            (await admin.PostAsJsonAsync("api/users", new { email, password = "Support-Pass-1", role = "Support" })).EnsureSuccessStatusCode();
        }

        var integrationId = await api.CreateIntegrationAsync("Support CRM " + suffix);
        var listenerName = "Tickets " + suffix;
        var (_, hookPath, token) = await api.CreateListenerAsync(integrationId, listenerName, """{"items":[{"id":1,"subject":"x"}]}""", "items");
        Assert.Equal(200, await api.PushAsync(hookPath, token, """{"items":[{"id":1,"subject":"Printer on fire"}]}"""));
        Assert.Equal(422, await api.PushAsync(hookPath, token, """{"items":[{"id":"one"}]}"""));
        Assert.Equal(422, await api.PushAsync(hookPath, token, """{"items":[{"subject":"no id"}]}"""));

        await new LoginPage(Page).SignInAsync(email, "Support-Pass-1");
        await Page.GotoAsync("/logs");
        await Interactivity.WaitAsync(Page);
        if (viewport == "phone")
        {
            // On a phone the filters fold into a panel (once the page knows the screen size) that opens on a tap.
            await Expect(Page.GetByTestId("filter-direction")).ToBeHiddenAsync();
            await Page.GetByTestId("filters-panel").GetByText("Filters").ClickAsync();
            await Expect(Page.Locator("[data-testid=filters-panel] .mud-collapse-container")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-collapse-entered"));
        }

        var name = Page.GetByTestId("filter-name");
        await name.ClickAsync();
        await name.FillAsync(listenerName);
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText(listenerName, new() { Exact = true }).ClickAsync();
        await Page.GetByTestId("filter-state").Locator("xpath=ancestor::div[contains(@class,'mud-select')]").First.ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").GetByText("Error", new() { Exact = true }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("state=error"));
        var rows = Page.Locator("[data-testid=logs-table] tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.First).ToContainTextAsync(listenerName);

        await rows.First.ClickAsync();
        await Expect(Page.GetByTestId("log-error")).ToContainTextAsync("key field 'id'");
        // Support may replay (SPEC: "Support may read and redeliver/replay").
        await Expect(Page.GetByTestId("replay")).ToHaveCountAsync(1);
        // Esc closes the side panel.
        await Page.Keyboard.PressAsync("Escape");
        await Expect(Page.GetByTestId("log-drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));

        // Support reads; the admin pages stay closed.
        await Page.GotoAsync("/users");
        await Expect(Page.GetByText(new System.Text.RegularExpressions.Regex("You do not have access"))).ToBeVisibleAsync();
        await Page.GotoAsync("/hangfire");
        await Expect(Page.GetByTestId("access-denied")).ToContainTextAsync("Access denied");
    });

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_creates_a_user_who_is_listed_on_the_users_page(string viewport) => RunAsync(viewport, async () =>
    {
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/users");
        await Interactivity.WaitAsync(Page);
        var email = $"new-{Guid.NewGuid().ToString("N")[..6]}@e2e.local";

        await Page.GetByTestId("add-user").ClickAsync();
        await Page.GetByTestId("new-user-email").FillAsync(email);
        await Page.GetByTestId("new-user-password").FillAsync("Brand-New-Pass-1");
        await Page.GetByTestId("create-user").ClickAsync();

        await Expect(Page.GetByText($"User {email} created as Support.")).ToBeVisibleAsync();
        await Page.ReloadAsync();
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("users-table")).ToContainTextAsync(email);
    });
}
