using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary (the page side of <see cref="UpdateSemanticsTests"/>): the listener editor sends the whole form, so
/// it must never silently undo a change another admin made while the form was open.
/// </summary>
public sealed class UpdateSemanticsEditorTests : PortalComponentTest
{
    private async Task<ListenerView> SeedListenerAsync(ListenerAuthMethod method)
    {
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = IntegrationId, Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        return await scope.ServiceProvider.GetRequiredService<ListenerCatalog>()
            .CreateAsync(IntegrationId, new ListenerRequest("Orders", true, new ListenerAuthRequest(method, TokenLocation.Header, "X-Token", null), null));
    }

    private static readonly Guid IntegrationId = Guid.NewGuid();

    private IRenderedComponent<ContainerFragment> RenderEditor(Guid id) =>
        Render<ContainerFragment>(p => p.AddChildContent(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
            builder.OpenComponent<ListenerEditor>(3);
            builder.AddComponentParameter(4, nameof(ListenerEditor.Id), (Guid?)id);
            builder.CloseComponent();
        }));

    [Fact]
    public async Task Saving_a_form_opened_before_another_admin_turned_token_auth_on_is_refused_and_keeps_the_token_auth()
    {
        var listener = await SeedListenerAsync(ListenerAuthMethod.None);
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));

        // Meanwhile another admin turns token auth on and generates a token (same clock tick: the version still moves).
        using (var other = AdminScope())
        {
            await other.ServiceProvider.GetRequiredService<ListenerCatalog>().UpdateAsync(listener.Id, new ListenerRequest(null, null, new ListenerAuthRequest(ListenerAuthMethod.Token, null, null, null), null) { Sent = new HashSet<string> { "auth" } });
            await other.ServiceProvider.GetRequiredService<ListenerTokens>().RotateTokenAsync(listener.Id);
        }

        cut.Find("input[data-testid=listener-name]").Input("Orders renamed");
        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("was changed by someone else since you opened it; reload it", cut.Markup));
        Assert.DoesNotContain("saved.", cut.Markup);
        await using var db = Database.CreateContext();
        var stored = await db.Listeners.AsNoTracking().SingleAsync();
        Assert.Equal((ListenerAuthMethod.Token, "Orders"), (stored.AuthMethod, stored.Name));
        Assert.NotNull(stored.TokenHash);
    }

    [Fact]
    public async Task A_form_saves_again_after_its_own_save_and_after_generating_a_token()
    {
        var listener = await SeedListenerAsync(ListenerAuthMethod.Token);
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));

        cut.Find("input[data-testid=listener-name]").Input("Orders v2");
        cut.Find("[data-testid=save-listener]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders v2' saved.", cut.Markup));

        cut.Find("[data-testid=generate-token]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=token-value]"));

        cut.Find("input[data-testid=listener-name]").Input("Orders v3");
        cut.Find("[data-testid=save-listener]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders v3' saved.", cut.Markup));
        Assert.DoesNotContain("changed by someone else", cut.Markup);
    }

    [Fact]
    public async Task The_service_refuses_a_stale_version_with_a_conflict_and_accepts_the_current_one_or_none()
    {
        var listener = await SeedListenerAsync(ListenerAuthMethod.Token);
        using var scope = AdminScope();
        var service = scope.ServiceProvider.GetRequiredService<ListenerCatalog>();
        var changed = await service.UpdateAsync(listener.Id, Input("Second", listener.Updated));
        Assert.True(changed.Updated > listener.Updated);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => service.UpdateAsync(listener.Id, Input("Stale", listener.Updated)));
        Assert.Contains("changed by someone else", conflict.Message);
        Assert.Equal("Second", (await service.GetAsync(listener.Id)).Name);

        Assert.Equal("Third", (await service.UpdateAsync(listener.Id, Input("Third", changed.Updated))).Name);
        Assert.Equal("Fourth", (await service.UpdateAsync(listener.Id, Input("Fourth", null))).Name);
    }

    private static ListenerRequest Input(string name, DateTime? expected) =>
        new(name, null, null, null, ExpectedUpdated: expected) { Sent = new HashSet<string> { "name", "expectedUpdated" } };
}
