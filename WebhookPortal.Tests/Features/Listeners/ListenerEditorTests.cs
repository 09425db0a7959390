using Microsoft.AspNetCore.Components;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class ListenerEditorTests : PortalComponentTest
{
    private async Task<Guid> SeedIntegrationAsync()
    {
        await using var db = Database.CreateContext();
        var integration = new Integration { Id = Guid.NewGuid(), Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        db.Integrations.Add(integration);
        await db.SaveChangesAsync();
        return integration.Id;
    }

    private async Task<ListenerView> SeedListenerAsync(ListenerAuthMethod method = ListenerAuthMethod.Token)
    {
        var integrationId = await SeedIntegrationAsync();
        using var scope = AdminScope();
        var service = scope.ServiceProvider.GetRequiredService<ListenerCatalog>();
        return await service.CreateAsync(integrationId, new ListenerRequest("Orders", true, new ListenerAuthRequest(method, TokenLocation.Header, "X-Token", null), null));
    }

    private IRenderedComponent<ContainerFragment> RenderEditor(Guid? id) =>
        Render<ContainerFragment>(p => p.AddChildContent(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
            builder.OpenComponent<ListenerEditor>(3);
            builder.AddComponentParameter(4, nameof(ListenerEditor.Id), id);
            builder.CloseComponent();
        }));

    [Fact]
    public async Task The_read_method_select_switches_between_name_and_prefix()
    {
        await SeedIntegrationAsync();
        SignInAsAdmin();
        var cut = RenderEditor(null);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=token-name]"));
        Assert.Empty(cut.FindAll("input[data-testid=token-prefix]"));

        var select = cut.FindComponent<MudSelect<TokenLocation>>();
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(TokenLocation.Authorization));
        cut.WaitForAssertion(() => cut.Find("input[data-testid=token-prefix]"));
        Assert.Empty(cut.FindAll("input[data-testid=token-name]"));

        await cut.InvokeAsync(() => cut.FindComponent<MudSelect<TokenLocation>>().Instance.ValueChanged.InvokeAsync(TokenLocation.Query));
        cut.WaitForAssertion(() => Assert.Contains("query parameter", cut.Markup));
        Assert.Empty(cut.FindAll("input[data-testid=token-prefix]"));
    }

    [Fact]
    public async Task The_token_appears_once_and_not_after_a_reload()
    {
        var listener = await SeedListenerAsync();
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=generate-token]"));
        Assert.Contains("Generate token", cut.Find("[data-testid=generate-token]").TextContent);

        cut.Find("[data-testid=generate-token]").Click();

        cut.WaitForAssertion(() => cut.Find("input[data-testid=token-value]"));
        var token = cut.Find("input[data-testid=token-value]").GetAttribute("value")!;
        Assert.True(token.Length >= 43);
        Assert.Contains("will not be shown again", cut.Find("[data-testid=token-once]").TextContent);
        Assert.Contains("X-Token: " + token, cut.Find("[data-testid=curl-example]").TextContent);
        await using (var db = Database.CreateContext())
        {
            var stored = await db.Listeners.SingleAsync(l => l.Id == listener.Id);
            Assert.Equal(ListenerTokens.HashToken(token), stored.TokenHash);
        }

        // A reload renders the page afresh: the token is gone for good.
        await DisposeComponentsAsync();
        var reloaded = RenderEditor(listener.Id);
        reloaded.WaitForAssertion(() => Assert.Contains("Regenerate token", reloaded.Find("[data-testid=generate-token]").TextContent));
        Assert.Empty(reloaded.FindAll("input[data-testid=token-value]"));
        Assert.DoesNotContain(token, reloaded.Markup);
    }

    [Fact]
    public async Task Saving_without_a_name_shows_the_message_and_stores_nothing()
    {
        await SeedIntegrationAsync();
        SignInAsAdmin();
        var cut = RenderEditor(null);
        cut.WaitForAssertion(() => cut.Find("[data-testid=save-listener]"));

        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("The name is required.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.Equal(0, await db.Listeners.CountAsync());
    }

    [Fact]
    public async Task A_server_side_refusal_shows_under_its_field_and_stores_nothing()
    {
        await SeedIntegrationAsync();
        SignInAsAdmin();
        var cut = RenderEditor(null);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));
        cut.Find("input[data-testid=listener-name]").Input("Orders");
        cut.Find("input[data-testid=token-name]").Input("Bad Header");

        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("valid HTTP header name", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.Equal(0, await db.Listeners.CountAsync());
    }

    [Fact]
    public async Task Delete_asks_first_and_cancel_keeps_the_listener()
    {
        var listener = await SeedListenerAsync();
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=delete-listener]"));

        cut.Find("[data-testid=delete-listener]").Click();
        cut.WaitForAssertion(() => Assert.Contains("tables and stored records are dropped", cut.Find(".mud-dialog").TextContent));
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(1, await db.Listeners.CountAsync());
        }

        cut.Find("[data-testid=delete-listener]").Click();
        cut.WaitForAssertion(() => cut.Find(".mud-dialog"));
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Delete").Click();

        cut.WaitForAssertion(() => Assert.EndsWith("/listeners", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(0, await db.Listeners.CountAsync());
        }
    }

    [Fact]
    public async Task Saving_an_existing_listener_stores_the_changes()
    {
        var listener = await SeedListenerAsync();
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));

        cut.Find("input[data-testid=listener-name]").Input("Orders v2");
        cut.Find("input[data-testid=token-name]").Input("X-Other");
        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders v2' saved.", cut.Markup));
        await using var db = Database.CreateContext();
        var stored = await db.Listeners.SingleAsync();
        Assert.Equal("Orders v2", stored.Name);
        Assert.Equal("X-Other", stored.TokenName);
    }

    [Fact]
    public async Task Support_sees_the_listener_read_only_without_token_save_or_tables()
    {
        var listener = await SeedListenerAsync();
        SignInAsSupport();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=curl-example]"));

        Assert.Empty(cut.FindAll("[data-testid=generate-token]"));
        Assert.Empty(cut.FindAll("[data-testid=save-listener]"));
        Assert.Empty(cut.FindAll("[data-testid=generate-tables]"));
        Assert.Empty(cut.FindAll("[data-testid=delete-listener]"));
        Assert.Contains(listener.Url, cut.Markup);
        // Read-only looks read-only: the settings are disabled fields, not live inputs.
        Assert.True(DisabledInput(cut.Find("[data-testid=listener-name]")));
        Assert.True(DisabledInput(cut.Find("[data-testid=listener-enabled-switch]")));
    }

    [Fact]
    public async Task Support_gets_no_script_test_and_the_service_refuses_it_inside_the_circuit_too()
    {
        var listener = await SeedListenerAsync();
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().UpdateAsync(listener.Id, new ListenerRequest(null, null, null, null, "(body) => body") { Sent = new HashSet<string> { "script" } });
        }

        SignInAsSupport();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=curl-example]"));
        cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Script").Click();
        cut.WaitForAssertion(() => cut.Find("textarea[data-testid=listener-script]"));
        Assert.Empty(cut.FindAll("[data-testid=test-script]"));

        // A hidden button is not a check: the page's own service, with the circuit's (Support) user, refuses.
        using var sample = System.Text.Json.JsonDocument.Parse("""{"id":1}""");
        var refused = await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() =>
            Services.GetRequiredService<ListenerScriptTester>().TestScriptAsync(listener.Id, new ScriptTestRequest(sample.RootElement.Clone(), "POST", [], [], "(body) => { throw new Error('ran'); }")));
        Assert.Contains("administrators", refused.Message);
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => Services.GetRequiredService<ListenerCatalog>().UpdateAsync(listener.Id, new ListenerRequest("Renamed", false, new ListenerAuthRequest(ListenerAuthMethod.None, null, null, null), null)));
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => Services.GetRequiredService<ListenerTokens>().RotateTokenAsync(listener.Id));

        await using var db = Database.CreateContext();
        var stored = await db.Listeners.SingleAsync(l => l.Id == listener.Id);
        Assert.Equal(("Orders", true, ListenerAuthMethod.Token, "(body) => body"), (stored.Name, stored.Enabled, stored.AuthMethod, stored.Script));
    }

    [Fact]
    public async Task The_example_request_sends_the_listeners_own_sample_at_its_root_path()
    {
        var listener = await SeedListenerAsync();
        using (var scope = AdminScope())
        {
            using var sample = System.Text.Json.JsonDocument.Parse("""{"data":{"orders":[{"id":7,"total":9.5},{"id":8,"total":1}]}}""");
            await scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listener.Id, new TablesRequest(sample.RootElement.Clone(), "orders", "data.orders", ["id"]));
        }

        SignInAsSupport();
        var cut = RenderEditor(listener.Id);

        cut.WaitForAssertion(() => Assert.Contains("""{"data":{"orders":[{"id":7,"total":9.5}]}}""", cut.Find("[data-testid=curl-example]").TextContent));
        Assert.DoesNotContain("""{"id": 1}""", cut.Find("[data-testid=curl-example]").TextContent);
    }

    [Fact]
    public async Task After_a_rotation_the_editor_says_until_when_the_old_token_works_and_expires_it_on_request()
    {
        var listener = await SeedListenerAsync();
        using (var scope = AdminScope())
        {
            var tokens = scope.ServiceProvider.GetRequiredService<ListenerTokens>();
            await tokens.RotateTokenAsync(listener.Id);
            await tokens.RotateTokenAsync(listener.Id, TimeSpan.FromHours(2));
        }

        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);

        cut.WaitForAssertion(() => Assert.Contains("accepted until 2026-11-23 14:00 UTC", cut.Find("[data-testid=previous-token]").TextContent));
        cut.Find("[data-testid=expire-previous-token]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=previous-token]")));
        await using var db = Database.CreateContext();
        Assert.Null((await db.Listeners.AsNoTracking().SingleAsync(l => l.Id == listener.Id)).PreviousTokenHash);
    }
}
