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

    /// <summary>The screen sizes every main journey runs at: a laptop and a phone.</summary>
    public static TheoryData<string> Viewports => new() { "desktop", "phone" };

    /// <summary>Runs a journey at one of <see cref="Viewports"/>.</summary>
    protected async Task RunAsync(string viewport, Func<Task> journey, [CallerMemberName] string name = "")
    {
        var (width, height) = viewport switch
        {
            "desktop" => (1366, 900),
            "phone" => (390, 844),
            _ => throw new ArgumentOutOfRangeException(nameof(viewport), viewport, "desktop or phone"),
        };
        await Page.SetViewportSizeAsync(width, height);
        await RunAsync(journey, $"{name}.{viewport}");
    }

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
