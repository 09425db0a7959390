using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

/// <summary>
/// A listener that GitHub (or anything signing as GitHub does) posts to: chosen in the editor, its generated secret
/// read from the shown-once dialog, requests signed with it accepted and unsigned ones refused. Screenshots of the
/// settings and the secret dialogs, in light and dark mode, go to TestResults/tour.
/// </summary>
public sealed class SignedListenerJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "tour");

    private const string Sample = """{"action":"opened","issue":{"id":1,"title":"Sample"}}""";

    private async Task SnapAsync(string name, bool fullPage = true)
    {
        Directory.CreateDirectory(Folder);
        // From the top: a full-page shot taken while scrolled paints the fixed app bar over the middle.
        await Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = fullPage });
    }

    /// <summary>A POST as GitHub sends it: the body's HMAC-SHA256 with the secret, hex, after <c>sha256=</c>.</summary>
    private static HttpRequestMessage GitHubDelivery(string path, string json, string? secret, string delivery)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = content };
        request.Headers.Add("X-GitHub-Event", "issues");
        request.Headers.Add("X-GitHub-Delivery", delivery);
        if (secret is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        }

        return request;
    }

    private async Task<string> SecretFromDialogAsync()
    {
        var value = Page.GetByTestId("secret-value");
        await Expect(Page.GetByTestId("secret-once")).ToContainTextAsync("will not be shown again");
        var shown = await value.InputValueAsync();
        await Page.GetByTestId("copy-secret").ClickAsync();
        // The copy goes through the circuit before the browser writes it: wait for it to land.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var copied = "";
        while (copied != shown && DateTime.UtcNow < deadline)
        {
            await Page.WaitForTimeoutAsync(50);
            copied = await Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        }

        Assert.Equal(shown, copied);
        return copied;
    }

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_creates_a_GitHub_listener_and_only_requests_signed_with_its_secret_are_stored(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var integration = "Signed CRM " + Guid.NewGuid().ToString("N")[..6];
        await api.CreateIntegrationAsync(integration);
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);

        var editor = new ListenerEditorPage(Page);
        await editor.GoToNewAsync();
        await Page.GetByTestId("listener-name").FillAsync("Repository events");
        await editor.SelectAsync("listener-integration", integration);
        // The methods, each with what its sender sends.
        await SelectPopover.Field(Page, "auth-method").ClickAsync();
        var methods = Page.Locator(".mud-popover-open .mud-list-item");
        await Expect(methods).ToHaveCountAsync(8);
        await Expect(methods.Filter(new() { HasText = "Shopify" })).ToContainTextAsync("X-Shopify-Hmac-Sha256");
        await SnapAsync($"69-signed-listener-methods-{viewport}", fullPage: false);
        await methods.GetByText("GitHub", new() { Exact = true }).ClickAsync();
        await Expect(methods).ToHaveCountAsync(0);
        await Expect(SelectPopover.Field(Page, "auth-method")).ToContainTextAsync("X-Hub-Signature-256");
        await Expect(Page.GetByTestId("signing-secret")).ToContainTextAsync("generated and shown once");
        await Expect(Page.GetByTestId("token-name")).ToHaveCountAsync(0);
        await TextFields.TypeAsync(Page, "idempotency-header", "X-GitHub-Delivery");
        await SnapAsync($"70-signed-listener-settings-{viewport}");

        await editor.SaveAsync();
        await Expect(Page.GetByTestId("secret-value")).ToBeVisibleAsync();
        await SnapAsync($"71-signed-listener-secret-dialog-{viewport}", fullPage: false);
        var secret = await SecretFromDialogAsync();
        Assert.True(secret.Length >= 43, $"secret '{secret}' is too short");
        await Page.GetByTestId("secret-done").ClickAsync();
        await Expect(Page.GetByTestId("secret-value")).ToHaveCountAsync(0);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/listeners/[0-9a-f-]{36}$"));
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("secret-state")).ToContainTextAsync("A signing secret is set");
        await Expect(Page.GetByTestId("curl-example")).ToContainTextAsync("X-Hub-Signature-256: sha256=$SIG");
        Assert.DoesNotContain(secret, await Page.ContentAsync());

        var url = await editor.CopyUrlAsync();
        await editor.GenerateTablesAsync(Sample, "issues", "issue");
        await Expect(Page.GetByText("Tables generated.")).ToBeVisibleAsync();

        // GitHub delivers: signed with the secret, 200; the same delivery again is answered without being stored twice.
        var path = new Uri(url).AbsolutePath;
        const string Opened = """{"action":"opened","issue":{"id":42,"title":"Signed and stored"}}""";
        var delivery = Guid.NewGuid().ToString();
        var response = await api.Http.SendAsync(GitHubDelivery(path, Opened, secret, delivery));
        Assert.Equal(200, (int)response.StatusCode);
        var repeat = await api.Http.SendAsync(GitHubDelivery(path, Opened, secret, delivery));
        Assert.Equal(200, (int)repeat.StatusCode);
        Assert.True((await repeat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());

        // Unsigned, or signed with another secret: 401, nothing stored.
        var unsigned = await api.Http.SendAsync(GitHubDelivery(path, """{"action":"opened","issue":{"id":43,"title":"Unsigned"}}""", null, Guid.NewGuid().ToString()));
        Assert.Equal(401, (int)unsigned.StatusCode);
        Assert.Contains("X-Hub-Signature-256", await unsigned.Content.ReadAsStringAsync());
        var forged = await api.Http.SendAsync(GitHubDelivery(path, """{"action":"opened","issue":{"id":44,"title":"Forged"}}""", "not-the-secret", Guid.NewGuid().ToString()));
        Assert.Equal(401, (int)forged.StatusCode);

        await editor.Tab("Data").ClickAsync();
        var records = Page.GetByTestId("records-table");
        await Expect(records).ToContainTextAsync("Signed and stored");
        await Expect(records).Not.ToContainTextAsync("Unsigned");
        await Expect(records).Not.ToContainTextAsync("Forged");

        // Dark mode: the settings and the rotation, whose new secret is shown once too; the old one works for the overlap.
        await Page.GetByTestId("dark-mode-toggle").ClickAsync();
        await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(18, 18, 26)");
        // Back to the Settings tab by reloading (dark mode is kept): on a phone the tab strip's scroll button covers it.
        await Page.ReloadAsync();
        await Interactivity.WaitAsync(Page);
        await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(18, 18, 26)");
        await Expect(Page.GetByTestId("rotate-secret")).ToBeVisibleAsync();
        await SnapAsync($"72-signed-listener-settings-dark-{viewport}");
        await Page.GetByTestId("rotate-secret").ClickAsync();
        await Expect(Page.GetByTestId("confirm-rotate")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("rotate-overlap")).ToHaveValueAsync("For 24 hours (default)");
        await SnapAsync($"73-signed-listener-rotate-dialog-dark-{viewport}", fullPage: false);
        await Page.GetByTestId("confirm-rotate").ClickAsync();
        await Expect(Page.GetByTestId("secret-value")).ToBeVisibleAsync();
        await SnapAsync($"74-signed-listener-secret-dialog-dark-{viewport}", fullPage: false);
        var rotated = await SecretFromDialogAsync();
        Assert.NotEqual(secret, rotated);
        await Page.GetByTestId("secret-done").ClickAsync();
        await Expect(Page.GetByTestId("previous-secret")).ToContainTextAsync("still accepted until");

        Assert.Equal(200, (int)(await api.Http.SendAsync(GitHubDelivery(path, """{"action":"edited","issue":{"id":42,"title":"New secret"}}""", rotated, Guid.NewGuid().ToString()))).StatusCode);
        Assert.Equal(200, (int)(await api.Http.SendAsync(GitHubDelivery(path, """{"action":"edited","issue":{"id":42,"title":"Old secret, overlap"}}""", secret, Guid.NewGuid().ToString()))).StatusCode);
        await Page.GetByTestId("expire-previous-secret").ClickAsync();
        await Expect(Page.GetByTestId("previous-secret")).ToHaveCountAsync(0);
        Assert.Equal(401, (int)(await api.Http.SendAsync(GitHubDelivery(path, """{"action":"edited","issue":{"id":42,"title":"Old secret, expired"}}""", secret, Guid.NewGuid().ToString()))).StatusCode);
    });
}
