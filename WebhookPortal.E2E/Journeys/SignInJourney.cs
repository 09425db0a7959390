using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class SignInJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_signs_in_sees_the_dashboard_and_logs_out(string viewport) => RunAsync(viewport, async () =>
    {
        await Page.GotoAsync("/integrations");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));

        await new LoginPage(Page).SubmitAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);

        // Back where the user wanted to go, signed in.
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Integrations" })).ToBeVisibleAsync();
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("user-menu").GetByRole(AriaRole.Button).First).ToContainTextAsync(PortalServer.AdminEmail);

        await Page.GetByTestId("user-menu").GetByRole(AriaRole.Button).First.ClickAsync();
        await Page.GetByTestId("logout").ClickAsync();
        await Page.GotoAsync("/");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
    });

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task A_wrong_password_shows_an_error_and_stays_signed_out(string viewport) => RunAsync(viewport, async () =>
    {
        var login = new LoginPage(Page);
        await login.GoToAsync();

        await login.SubmitAsync(PortalServer.AdminEmail, "not-the-password");

        await Expect(login.Error).ToContainTextAsync("Invalid email or password");
        await Page.GotoAsync("/");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
    });

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task The_keyboard_starts_in_the_e_mail_field_and_a_skip_link_leads_past_the_menu(string viewport) => RunAsync(viewport, async () =>
    {
        var login = new LoginPage(Page);
        await login.GoToAsync();
        await Expect(Page.Locator("#Input\\.Email")).ToBeFocusedAsync();

        await login.SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync("/integrations");
        await Interactivity.WaitAsync(Page);

        // The first Tab lands on the skip link, which shows itself; Enter moves the focus to the page.
        await Page.Keyboard.PressAsync("Tab");
        var skip = Page.GetByTestId("skip-link");
        await Expect(skip).ToBeFocusedAsync();
        await Expect(skip).ToBeInViewportAsync();
        var outline = await skip.EvaluateAsync<string>("e => getComputedStyle(e).outlineStyle");
        Assert.NotEqual("none", outline);
        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page.Locator("#main-content")).ToBeFocusedAsync();
    });
}
