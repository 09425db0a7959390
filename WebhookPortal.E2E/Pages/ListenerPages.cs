using Microsoft.Playwright;

namespace WebhookPortal.E2E.Pages;

/// <summary>Page object of /listeners/new and /listeners/{id}.</summary>
public sealed class ListenerEditorPage(IPage page)
{
    public async Task GoToNewAsync()
    {
        await page.GotoAsync("/listeners/new");
        await Interactivity.WaitAsync(page);
        await page.GetByTestId("listener-name").WaitForAsync();
    }

    public async Task SelectAsync(string testId, string option)
    {
        await SelectPopover.Field(page, testId).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").GetByText(option, new() { Exact = true }).ClickAsync();

        // The select takes the focus back as its list closes: typing elsewhere before that would lose keys to it.
        await Microsoft.Playwright.Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    public async Task SaveAsync() => await page.GetByTestId("save-listener").ClickAsync();

    public async Task<string> GenerateTokenAndCopyAsync()
    {
        await page.GetByTestId("generate-token").ClickAsync();
        await page.GetByTestId("token-once").WaitForAsync();
        await page.GetByTestId("copy-token").ClickAsync();
        return await ClipboardAsync(text => text.Length > 0 && !text.StartsWith("http", StringComparison.Ordinal));
    }

    public async Task<string> CopyUrlAsync()
    {
        await page.GetByTestId("copy-url").ClickAsync();
        return await ClipboardAsync(text => text.StartsWith("http", StringComparison.Ordinal));
    }

    /// <summary>
    /// The clipboard once the copy landed: a copy button goes through the circuit before the browser writes the text,
    /// so reading at once can still see what was copied before.
    /// </summary>
    private async Task<string> ClipboardAsync(Func<string, bool> landed)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var text = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
            if (landed(text) || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await page.WaitForTimeoutAsync(50);
        }
    }

    /// <summary>Types a sample into the real Monaco editor of the Generate Tables dialog, previews and generates.</summary>
    public async Task GenerateTablesAsync(string sample, string baseName, string rootPath)
    {
        await page.GetByTestId("generate-tables").ClickAsync();
        // Typing before the editor reports its edits would be lost: wait for it to say it is ready.
        await page.Locator("[data-testid=sample-editor][data-ready=true]").WaitForAsync();
        var editor = page.Locator("[data-testid=sample-editor] .monaco-editor[role=code]");
        await editor.ClickAsync();
        await page.Keyboard.InsertTextAsync(sample);
        await page.GetByTestId("base-name").FillAsync(baseName);
        await page.GetByTestId("root-path").FillAsync(rootPath);
        await page.GetByTestId("preview-tables").ClickAsync();
        await page.GetByTestId("preview-table").First.WaitForAsync();
        await page.GetByTestId("generate").ClickAsync();
    }

    public ILocator Tab(string name) => page.GetByRole(AriaRole.Tab, new() { Name = name });
}
