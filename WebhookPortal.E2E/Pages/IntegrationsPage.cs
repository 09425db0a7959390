using Microsoft.Playwright;

namespace WebhookPortal.E2E.Pages;

/// <summary>Page object of /integrations.</summary>
public sealed class IntegrationsPage(IPage page)
{
    public async Task GoToAsync()
    {
        await page.GotoAsync("/integrations");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Integrations" }).WaitForAsync();
        await Interactivity.WaitAsync(page);
    }

    public ILocator Rows => page.Locator("[data-testid=integrations-table] tbody tr");

    public async Task AddAsync(string name, string description)
    {
        await page.GetByTestId("add-integration").ClickAsync();
        var name_ = page.GetByTestId("integration-name");
        await name_.WaitForAsync();
        await name_.FillAsync(name);
        await page.GetByTestId("integration-description").FillAsync(description);
        await page.GetByTestId("save-integration").ClickAsync();
    }

    public async Task SearchAsync(string text) => await page.GetByTestId("integration-search").FillAsync(text);
}
