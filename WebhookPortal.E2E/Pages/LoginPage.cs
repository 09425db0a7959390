using Microsoft.Playwright;

namespace WebhookPortal.E2E.Pages;

/// <summary>Page object of /Account/Login.</summary>
public sealed class LoginPage(IPage page)
{
    public async Task GoToAsync() => await page.GotoAsync("/Account/Login");

    public async Task SubmitAsync(string email, string password)
    {
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
    }

    public ILocator Error => page.GetByTestId("status-message");

    /// <summary>Signs in and waits for the interactive dashboard.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await GoToAsync();
        await SubmitAsync(email, password);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" }).WaitForAsync();
        await Interactivity.WaitAsync(page);
    }
}
