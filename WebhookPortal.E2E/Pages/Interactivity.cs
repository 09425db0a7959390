using Microsoft.Playwright;

namespace WebhookPortal.E2E.Pages;

public static class Interactivity
{
    /// <summary>Waits for the Blazor circuit: the layout renders a marker only once it is interactive.</summary>
    public static Task WaitAsync(IPage page) =>
        page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
}
