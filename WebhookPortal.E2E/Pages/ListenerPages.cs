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
        // The token this page shows: the browser's clipboard is shared by the journeys running beside this one, so
        // anything else found there was copied by another page (it once held another journey's token).
        var shown = await page.GetByTestId("token-value").InputValueAsync();
        return await CopyAsync("copy-token", text => text == shown);
    }

    public async Task<string> CopyUrlAsync()
    {
        // This listener's URL ends with its id, which the editor's own address ends with.
        var path = new Uri(page.Url).AbsolutePath;
        var listenerId = path[(path.LastIndexOf('/') + 1)..];
        return await CopyAsync("copy-url", text => text.StartsWith("http", StringComparison.Ordinal) && text.EndsWith("/" + listenerId, StringComparison.Ordinal));
    }

    /// <summary>
    /// Clicks a copy button and reads the clipboard once the copy landed: the copy goes through the circuit before the
    /// browser writes the text, so reading at once can still see what was copied before. The clipboard is the browser's,
    /// shared with the journeys running beside this one: when another page's copy overwrote this one, it copies again.
    /// </summary>
    private async Task<string> CopyAsync(string button, Func<string, bool> landed)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var copiedAt = DateTime.MinValue;
        while (true)
        {
            if (DateTime.UtcNow - copiedAt > TimeSpan.FromSeconds(2))
            {
                await page.GetByTestId(button).ClickAsync();
                copiedAt = DateTime.UtcNow;
            }

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
