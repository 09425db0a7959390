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

public sealed class ListenersPageTests : PortalComponentTest
{
    private async Task<ListenerView> SeedAsync(string name)
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Int " + name, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        return await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().CreateAsync(integrationId, new ListenerRequest(name, true, null, null));
    }

    [Fact]
    public void With_no_listeners_the_empty_state_explains_what_a_listener_is()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<ListenersPage>();
        cut.WaitForAssertion(() => Assert.Contains("A listener is a URL", cut.Find("[data-testid=listeners-empty]").TextContent));
    }

    [Fact]
    public async Task Lists_listeners_with_their_url_and_search_filters()
    {
        var orders = await SeedAsync("Orders");
        await SeedAsync("Tickets");
        SignInAsAdmin();
        var cut = RenderWithProviders<ListenersPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count));
        Assert.Contains(orders.Url, cut.Markup);
        Assert.Contains("never", cut.Markup);

        cut.Find("input[data-testid=listener-search]").Input("tick");

        cut.WaitForAssertion(() => Assert.Contains("Tickets", Assert.Single(cut.FindAll("tbody tr")).TextContent));
    }

    [Fact]
    public async Task The_enable_switch_takes_effect_at_once()
    {
        var orders = await SeedAsync("Orders");
        SignInAsAdmin();
        var cut = RenderWithProviders<ListenersPage>();
        cut.WaitForAssertion(() => cut.FindComponent<MudSwitch<bool>>());

        await cut.InvokeAsync(() => cut.FindComponent<MudSwitch<bool>>().Instance.ValueChanged.InvokeAsync(false));

        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders' disabled.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.False((await db.Listeners.SingleAsync(l => l.Id == orders.Id)).Enabled);
    }

    [Fact]
    public async Task Support_sees_no_add_button_and_a_read_only_switch()
    {
        await SeedAsync("Orders");
        SignInAsSupport();
        var cut = RenderWithProviders<ListenersPage>();
        cut.WaitForAssertion(() => Assert.Contains("Orders", cut.Find("tbody").TextContent));

        Assert.Empty(cut.FindAll("[data-testid=add-listener]"));
        // Read-only looks read-only: the switch is disabled, not a live control that does nothing.
        Assert.True(cut.FindComponent<MudSwitch<bool>>().Instance.Disabled);
        Assert.True(DisabledInput(cut.Find("[data-testid=enabled-read-only]")));
    }

    [Fact]
    public async Task Every_unauthenticated_listener_shows_a_no_authentication_badge()
    {
        var open = await SeedAsync("Open");
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Int Locked", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().CreateAsync(integrationId,
                new ListenerRequest("Locked", true, new ListenerAuthRequest(ListenerAuthMethod.Token, TokenLocation.Header, "X-Token", null), null));
        }

        SignInAsSupport();
        var cut = RenderWithProviders<ListenersPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count));

        var rows = cut.FindAll("tbody tr");
        var openRow = Assert.Single(rows, r => r.TextContent.Contains(open.Name));
        var lockedRow = Assert.Single(rows, r => r.TextContent.Contains("Locked"));
        Assert.Contains("No authentication", Assert.Single(openRow.QuerySelectorAll("[data-testid=no-auth-badge]")).TextContent);
        Assert.Empty(lockedRow.QuerySelectorAll("[data-testid=no-auth-badge]"));
        Assert.Contains("Token", lockedRow.TextContent);
    }
}
