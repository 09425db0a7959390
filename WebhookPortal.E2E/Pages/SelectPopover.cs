using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Pages;

/// <summary>Drives a MudSelect's popover list the way a user does.</summary>
public static class SelectPopover
{
    private const string OpenItems = ".mud-popover-open .mud-list-item";

    public static ILocator Field(IPage page, string testId) =>
        page.GetByTestId(testId).Locator("xpath=ancestor::div[contains(@class,'mud-select')]").First;

    /// <summary>
    /// Closes a multi-select's list. Escape is what a user presses, but it only reaches the select
    /// while it has focus, which a click on an item in the list can take away; so when the list is
    /// still open a moment later, click the field itself at its coordinates, which lands either on
    /// the field (toggling it shut) or on the overlay above it (closing it too).
    /// </summary>
    public static async Task CloseAsync(IPage page, string testId)
    {
        var items = page.Locator(OpenItems);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await items.CountAsync() == 0)
            {
                return;
            }

            if (attempt == 0)
            {
                await page.Keyboard.PressAsync("Escape");
            }
            else
            {
                var box = await Field(page, testId).BoundingBoxAsync()
                    ?? throw new InvalidOperationException($"The select '{testId}' is not on the page.");
                await page.Mouse.ClickAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
            }

            try
            {
                await Expect(items).ToHaveCountAsync(0, new() { Timeout = 1500 });
                return;
            }
            catch (PlaywrightException)
            {
                // Still open: try the next way of closing it.
            }
        }

        await Expect(items).ToHaveCountAsync(0);
    }
}

/// <summary>Text fields typed the way a person types them.</summary>
public static class TextFields
{
    /// <summary>
    /// Clicks into the field and types key by key, then leaves it and checks the text stayed: MudBlazor shows
    /// the server's value again once the field loses focus, so keys that went elsewhere (a select that took
    /// the focus back as its list closed) or never reached the circuit show up here.
    /// </summary>
    public static async Task TypeAsync(IPage page, string testId, string text)
    {
        var field = page.GetByTestId(testId);
        await field.ClickAsync();
        await field.PressSequentiallyAsync(text, new() { Delay = 20 });
        await field.BlurAsync();
        await Expect(field).ToHaveValueAsync(text);
    }
}
