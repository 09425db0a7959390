using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// axe-core on the main pages, open dialogs and side panels, at desktop and phone sizes, in light and dark mode:
/// no serious or critical violation. Every dialog opens with the keyboard focus in its first field.
/// </summary>
public sealed class AccessibilityJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private readonly List<string> violations = [];

    private async Task CheckAsync(string where)
    {
        // Wait for transitions (dialogs sliding in, tables loading) so axe sees the settled page.
        await Page.WaitForTimeoutAsync(300);
        var result = await Page.RunAxe(new AxeRunOptions { ResultTypes = [ResultType.Violations] });
        foreach (var violation in result.Violations.Where(v => v.Impact is "serious" or "critical"))
        {
            var nodes = string.Join("; ", violation.Nodes.Take(3).Select(n => n.Html.Length > 400 ? n.Html[..400] + "…" : n.Html));
            violations.Add($"{where}: {violation.Impact} {violation.Id} ({violation.Help}) × {violation.Nodes.Length}: {nodes}");
        }
    }

    private async Task<(Guid IntegrationId, Guid ListenerId, Guid WebhookId)> SeedAsync(PortalApi api)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var integrationName = "A11y " + suffix;
        var integrationId = await api.CreateIntegrationAsync(integrationName);
        var (listenerId, hookPath, token) = await api.CreateListenerAsync(integrationId, "A11y orders " + suffix,
            """{"items":[{"id":1,"title":"x","at":"2026-01-01T00:00:00Z","lines":[{"sku":"s"}]}]}""", "items");
        Assert.Equal(200, await api.PushAsync(hookPath, token, """{"items":[{"id":1,"title":"First","at":"2026-02-01T10:00:00Z","lines":[{"sku":"A"}]},{"id":2,"title":"Second","at":"2026-02-02T10:00:00Z","lines":[]}]}"""));
        Assert.Equal(401, await api.PushAsync(hookPath, "wrong", """{"items":[]}"""));
        using var admin = api.AsAdmin();
        var webhook = await (await admin.PostAsJsonAsync($"v1/mint/organizations/{Uri.EscapeDataString(integrationName)}/webhooks", new { name = "a11y-hook", postURL = "http://127.0.0.1:9/closed" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        await admin.PostAsJsonAsync($"api/integrations/{integrationId}/messages", new { eventType = "usage.threshold", payload = new { quotaPercentUsed = 80 } });
        // A row on every list page: an event type, a rule that has fired (its usage bar) and a job (its progress bar).
        var eventType = await admin.PostAsJsonAsync($"api/integrations/{integrationId}/event-types", new { name = "A11yOrder" + suffix, listenerId, actions = new[] { "insert" } });
        Assert.True(eventType.IsSuccessStatusCode, await eventType.Content.ReadAsStringAsync());
        var rule = await admin.PostAsJsonAsync($"api/integrations/{integrationId}/notification-rules", new { name = "A11y quota " + suffix, listenerId, target = 4, period = "Month", conditions = new object[] { new { from = 50, to = 100, step = 25 } }, webhookIds = new[] { webhook.GetProperty("id").GetGuid() } });
        Assert.True(rule.IsSuccessStatusCode, await rule.Content.ReadAsStringAsync());
        var job = await admin.PostAsJsonAsync("api/backup", new { });
        Assert.True(job.IsSuccessStatusCode, await job.Content.ReadAsStringAsync());
        return (integrationId, listenerId, webhook.GetProperty("id").GetGuid());
    }

    [Theory]
    [InlineData(1366, 900)]
    [InlineData(390, 844)]
    public Task Main_pages_have_no_serious_or_critical_axe_violations(int width, int height) => RunAsync(async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var (integrationId, listenerId, webhookId) = await SeedAsync(api);
        await Page.SetViewportSizeAsync(width, height);
        var size = $"{width}px";

        await new LoginPage(Page).GoToAsync();
        await CheckAsync($"login {size}");
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);
        await Expect(Page.GetByTestId("stat-integrations")).ToBeVisibleAsync();

        foreach (var dark in new[] { false, true })
        {
            var theme = dark ? "dark" : "light";
            if (dark)
            {
                await Page.GotoAsync("/");
                await Interactivity.WaitAsync(Page);
                await Page.GetByTestId("dark-mode-toggle").ClickAsync();
                await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(18, 18, 26)");
            }

            foreach (var (path, ready) in new (string, string)[]
            {
                ("/", "stat-integrations"),
                ("/integrations", "integrations-table"),
                ($"/integrations/{integrationId}", "integration-listeners"),
                ("/listeners", "listeners-table"),
                ($"/listeners/{listenerId}", "curl-example"),
                ("/webhooks", "webhooks-table"),
                ($"/webhooks/{webhookId}", "deliveries-table"),
                ("/deliveries", "deliveries-table"),
                ("/events", "event-types-table"),
                ("/notifications", "rules-table"),
                ("/logs", "logs-table"),
                ("/users", "users-table"),
                ("/api-keys", "create-key"),
                ("/jobs", "jobs-table"),
            })
            {
                await Page.GotoAsync(path);
                await Interactivity.WaitAsync(Page);
                await Expect(Page.GetByTestId(ready).First).ToBeVisibleAsync();
                await CheckAsync($"{path} {size} {theme}");
            }

            await Page.GotoAsync($"/listeners/{listenerId}");
            await Interactivity.WaitAsync(Page);
            await Page.GetByRole(AriaRole.Tab, new() { Name = "Data" }).ClickAsync();
            await Expect(Page.GetByTestId("records-table")).ToContainTextAsync("First");
            await CheckAsync($"listener data tab {size} {theme}");

            // A delivery's timeline (issue 16), opened on the deliveries page.
            await Page.GotoAsync("/deliveries");
            await Interactivity.WaitAsync(Page);
            await Page.GetByTestId("expand-delivery").First.ClickAsync();
            await Expect(Page.GetByTestId("delivery-timeline")).ToBeVisibleAsync();
            await CheckAsync($"delivery timeline {size} {theme}");
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour", $"64-deliveries-{size}-{theme}.png"), FullPage = true });

            await Page.GotoAsync("/logs");
            await Interactivity.WaitAsync(Page);
            await Page.Locator("[data-testid=logs-table] tbody tr").First.ClickAsync();
            await Expect(Page.GetByTestId("log-detail")).ToBeVisibleAsync();
            await CheckAsync($"log detail panel {size} {theme}");
        }

        Assert.True(violations.Count == 0, "axe found serious or critical violations:\n" + string.Join("\n", violations));
    });

    [Fact]
    public Task Every_dialog_opens_with_its_first_field_focused_and_passes_axe() => RunAsync(async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var (_, listenerId, _) = await SeedAsync(api);
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);

        async Task DialogAsync(string page, string opener, string firstField, string name) =>
            await DialogWithAsync(page, opener, dialog => dialog.Locator(firstField).First, name);

        async Task DialogWithAsync(string page, string opener, Func<ILocator, ILocator> firstFieldOf, string name)
        {
            await Page.GotoAsync(page);
            await Interactivity.WaitAsync(Page);
            await Page.GetByTestId(opener).First.ClickAsync();
            var dialog = Page.Locator(".mud-dialog");
            await Expect(dialog).ToBeVisibleAsync();
            var field = firstFieldOf(dialog);
            try
            {
                await Expect(field).ToBeFocusedAsync(new() { Timeout = 5_000 });
            }
            catch (PlaywrightException e)
            {
                var focused = await Page.EvaluateAsync<string>("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 300) : 'nothing'");
                throw new InvalidOperationException($"The {name} dialog opened with the focus on {focused}", e);
            }

            await CheckAsync($"{name} dialog");
            await Page.Keyboard.PressAsync("Escape");
            await Expect(dialog).ToBeHiddenAsync();
        }

        await DialogAsync("/integrations", "add-integration", "input[data-testid=integration-name]", "integration");
        await DialogWithAsync("/webhooks", "add-webhook", dialog => dialog.GetByRole(AriaRole.Combobox, new() { Name = "Integration" }), "add webhook");
        await DialogAsync("/webhooks", "edit-webhook", "input[data-testid=webhook-name]", "edit webhook");
        await DialogAsync("/events", "add-event-type", "input[data-testid=event-name]", "event type");
        await DialogAsync("/notifications", "add-rule", "input[data-testid=rule-name]", "notification rule");
        await DialogAsync($"/listeners/{listenerId}", "generate-tables", "[data-testid=sample-editor] textarea", "generate tables");

        Assert.True(violations.Count == 0, "axe found serious or critical violations:\n" + string.Join("\n", violations));
    });
}
