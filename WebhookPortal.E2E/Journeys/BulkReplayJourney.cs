using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>Requests a listener refused (it had no tables yet) are replayed in bulk from its Logs tab once the tables exist.</summary>
public sealed class BulkReplayJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private const string Sample = """{"data":{"items":[{"id":1,"title":"Sample"}]}}""";

    [Fact]
    public Task An_admin_replays_the_failed_requests_of_a_listener_and_sees_the_summary() => RunAsync(async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        using var admin = api.AsAdmin();
        var integrationId = await api.CreateIntegrationAsync("Replay CRM " + Guid.NewGuid().ToString("N")[..6]);
        var created = await admin.PostAsJsonAsync($"api/integrations/{integrationId}/listeners", new { name = "Late tables", auth = new { method = "Token", readFrom = "Header", name = "X-Token" } });
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var token = (await (await admin.PostAsync($"api/listeners/{id}/token", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        var hookPath = $"hooks/{integrationId}/{id}";

        // The System of Record pushes before anyone generated the tables: both are refused (409) and logged.
        Assert.Equal(409, await api.PushAsync(hookPath, token, """{"data":{"items":[{"id":7,"title":"Early bird"}]}}"""));
        Assert.Equal(409, await api.PushAsync(hookPath, token, """{"data":{"items":[{"id":8,"title":"Second"}]}}"""));
        (await admin.PostAsJsonAsync($"api/listeners/{id}/tables", new { sample = Sample, baseName = "late", rootPath = "data.items", primaryKey = new[] { "id" } })).EnsureSuccessStatusCode();

        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Page.GotoAsync($"/listeners/{id}");
        await Interactivity.WaitAsync(Page);
        var editor = new ListenerEditorPage(Page);
        await editor.Tab("Logs").ClickAsync();
        await Expect(Page.GetByTestId("bulk-replay")).ToBeVisibleAsync();

        await Page.GetByTestId("start-bulk-replay").ClickAsync();
        await Expect(Page.GetByText("Replay the failed requests this listener received in the last 24 hours?")).ToBeVisibleAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Replay", Exact = true }).ClickAsync();

        await Expect(Page.GetByText("Replaying 2 failed requests.")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("bulk-replay-summary")).ToContainTextAsync("2 succeeded, 0 failed", new() { Timeout = 20_000 });
        await Expect(Page.GetByTestId("listener-logs")).ToContainTextAsync("Replay of #");
        await Expect(Page.GetByTestId("start-bulk-replay")).ToBeEnabledAsync();
        await Page.WaitForTimeoutAsync(600); // MudBlazor's colour transitions, for the screenshot only
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour", "27-bulk-replay.png"), FullPage = true });

        await editor.Tab("Data").ClickAsync();
        await Expect(Page.GetByTestId("records-table")).ToContainTextAsync("Early bird");

        // The summary is read from the database: it is still there after a reload.
        await Page.ReloadAsync();
        await Interactivity.WaitAsync(Page);
        await editor.Tab("Logs").ClickAsync();
        await Expect(Page.GetByTestId("bulk-replay-summary")).ToContainTextAsync("2 succeeded, 0 failed");
    });
}
