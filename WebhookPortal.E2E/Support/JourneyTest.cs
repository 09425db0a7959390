using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace WebhookPortal.E2E.Support;

/// <summary>Base of every journey: a fresh page, and a screenshot under TestResults when a step fails.</summary>
[Collection(BrowserCollection.Name)]
public abstract class JourneyTest(BrowserFixture fixture) : IAsyncLifetime
{
    protected BrowserFixture Fixture { get; } = fixture;

    protected IPage Page { get; private set; } = default!;

    public async Task InitializeAsync() => Page = await Fixture.NewPageAsync();

    public async Task DisposeAsync() => await Page.Context.CloseAsync();

    protected async Task RunAsync(Func<Task> journey, [CallerMemberName] string name = "")
    {
        try
        {
            await journey();
        }
        catch
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{GetType().Name}.{name}.png"), FullPage = true });
            throw;
        }
    }
}
