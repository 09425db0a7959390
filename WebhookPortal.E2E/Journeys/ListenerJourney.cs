using System.Text;
using Microsoft.Playwright;
using WebhookPortal.E2E.Pages;
using WebhookPortal.E2E.Support;
using static Microsoft.Playwright.Assertions;

namespace WebhookPortal.E2E.Journeys;

public sealed class ListenerJourney(BrowserFixture fixture) : JourneyTest(fixture)
{
    private const string Sample = """{"data":{"items":[{"id":1,"title":"Sample","customer":{"city":"Paris"},"comments":[{"text":"hi"}]}]}}""";

    [Theory]
    [MemberData(nameof(Viewports))]
    public Task An_admin_creates_a_listener_with_a_token_generates_tables_and_sees_a_pushed_record(string viewport) => RunAsync(viewport, async () =>
    {
        using var api = new PortalApi(Fixture.Server.BaseUrl);
        var integration = "Journey CRM " + Guid.NewGuid().ToString("N")[..6];
        await api.CreateIntegrationAsync(integration);
        await new LoginPage(Page).SignInAsync(PortalServer.AdminEmail, PortalServer.AdminPassword);

        var editor = new ListenerEditorPage(Page);
        await editor.GoToNewAsync();
        await Page.GetByTestId("listener-name").FillAsync("Opportunities");
        await editor.SelectAsync("listener-integration", integration);
        await editor.SelectAsync("read-from", "Custom header");
        await Page.GetByTestId("token-name").FillAsync("X-Crm-Token");
        await editor.SaveAsync();
        await Expect(Page.GetByText("Listener 'Opportunities' created.")).ToBeVisibleAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/listeners/[0-9a-f-]{36}$"));
        await Interactivity.WaitAsync(Page);

        var token = await editor.GenerateTokenAndCopyAsync();
        Assert.True(token.Length >= 43, $"token '{token}' is too short");
        await Expect(Page.GetByTestId("curl-example")).ToContainTextAsync("X-Crm-Token: " + token);
        var url = await editor.CopyUrlAsync();
        Assert.Matches("^http://127.0.0.1/hooks/[0-9a-f-]{36}/[0-9a-f-]{36}$", url);

        await editor.GenerateTablesAsync(Sample, "opportunities", "data.items");
        await Expect(Page.GetByText("Tables generated.")).ToBeVisibleAsync();

        // A System of Record pushes a record to the copied URL (the path part, on this test server).
        var path = new Uri(url).AbsolutePath;
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new StringContent("""{"data":{"items":[{"id":42,"title":"Big deal","customer":{"city":"Lyon"},"comments":[{"text":"call back"}]}]}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Crm-Token", token);
        var response = await api.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);

        await editor.Tab("Data").ClickAsync();
        var records = Page.GetByTestId("records-table");
        await Expect(records).ToContainTextAsync("Big deal");
        await Expect(records).ToContainTextAsync("Lyon");
        await Page.GetByTestId("expand-row").First.ClickAsync();
        await Expect(Page.GetByTestId("child-rows")).ToContainTextAsync("call back");

        await editor.Tab("Logs").ClickAsync();
        await Expect(Page.GetByTestId("listener-logs")).ToContainTextAsync("POST");
        await Expect(Page.GetByTestId("listener-logs")).ToContainTextAsync("success");

        await Page.GotoAsync("/listeners");
        await Interactivity.WaitAsync(Page);
        await Expect(Page.GetByTestId("listeners-table")).ToContainTextAsync("Opportunities");
    });
}
