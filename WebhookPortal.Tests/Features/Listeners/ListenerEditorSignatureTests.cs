using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>The editor's signature methods, signing secrets and delivery handling (idempotency, handshakes).</summary>
public sealed class ListenerEditorSignatureTests : PortalComponentTest
{
    private async Task<Guid> SeedIntegrationAsync()
    {
        await using var db = Database.CreateContext();
        var integration = new Integration { Id = Guid.NewGuid(), Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        db.Integrations.Add(integration);
        await db.SaveChangesAsync();
        return integration.Id;
    }

    private async Task<ListenerView> SeedListenerAsync(ListenerAuthRequest auth, string? idempotencyHeader = null)
    {
        var integrationId = await SeedIntegrationAsync();
        using var scope = AdminScope();
        return await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().CreateAsync(integrationId, new ListenerRequest("Orders", true, auth, null, IdempotencyHeader: idempotencyHeader));
    }

    private static ListenerAuthRequest GitHub => new(ListenerAuthMethod.GitHub, null, null, null);

    private IRenderedComponent<ContainerFragment> RenderEditor(Guid? id) => RenderWithProviders<ListenerEditor>((nameof(ListenerEditor.Id), id));

    private async Task ChooseAsync<T>(IRenderedComponent<ContainerFragment> cut, T value)
    {
        var select = cut.FindComponent<MudSelect<T>>();
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    private string StoredSecret(Listener listener) =>
        ListenerSignatures.Unprotect(Services.GetRequiredService<IDataProtectionProvider>(), listener.SigningSecretProtected!);

    /// <summary>The text (helper or error) MudBlazor shows under the field a test id names.</summary>
    private static string FieldText(IRenderedComponent<ContainerFragment> cut, string testId) =>
        cut.Find($"[data-testid={testId}]").Closest(".mud-input-control")!.TextContent;

    [Fact]
    public async Task Choosing_GitHub_and_saving_creates_a_GitHub_listener_and_shows_its_generated_secret_once()
    {
        await SeedIntegrationAsync();
        SignInAsAdmin();
        var cut = RenderEditor(null);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));
        cut.Find("input[data-testid=listener-name]").Input("Repository events");

        await ChooseAsync(cut, ListenerAuthMethod.GitHub);
        cut.WaitForAssertion(() => Assert.Contains("X-Hub-Signature-256", FieldText(cut, "auth-method")));
        Assert.Empty(cut.FindAll("[data-testid=token-name]"));
        Assert.Empty(cut.FindAll("[data-testid=signature-tolerance]"));
        Assert.Contains("generated and shown once", cut.Find("[data-testid=secret-state]").TextContent);
        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=secret-value]"));
        var secret = cut.Find("[data-testid=secret-value]").GetAttribute("value")!;
        Assert.Contains("will not be shown again", cut.Find("[data-testid=secret-once]").TextContent);
        Assert.Contains("Listener 'Repository events' created.", cut.Markup);
        await using (var db = Database.CreateContext())
        {
            var stored = await db.Listeners.SingleAsync();
            Assert.Equal(ListenerAuthMethod.GitHub, stored.AuthMethod);
            Assert.Equal(secret, StoredSecret(stored));
            Assert.True(secret.Length >= 43);
        }

        // Closed, the dialog is gone, and the secret with it; the page then goes to the new listener.
        cut.Find("[data-testid=secret-done]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")));
        Assert.DoesNotContain(secret, cut.Markup);
        Assert.Matches("/listeners/[0-9a-f-]{36}$", Services.GetRequiredService<NavigationManager>().Uri);

        await DisposeComponentsAsync();
        var id = Guid.Parse(Services.GetRequiredService<NavigationManager>().Uri[^36..]);
        var reloaded = RenderEditor(id);
        reloaded.WaitForAssertion(() => Assert.Contains("A signing secret is set", reloaded.Find("[data-testid=secret-state]").TextContent));
        Assert.DoesNotContain(secret, reloaded.Markup);
        Assert.Contains("X-Hub-Signature-256: sha256=$SIG", reloaded.Find("[data-testid=curl-example]").TextContent);
    }

    [Fact]
    public async Task The_hmac_fields_and_an_entered_secret_are_sent_and_stored()
    {
        var listener = await SeedListenerAsync(new ListenerAuthRequest(ListenerAuthMethod.Token, TokenLocation.Header, "X-Token", null));
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));

        await ChooseAsync(cut, ListenerAuthMethod.Hmac);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=signature-header]"));
        cut.Find("input[data-testid=signature-header]").Input("X-Crm-Signature");
        cut.Find("input[data-testid=signature-prefix]").Input("sha1=");
        await ChooseAsync(cut, SignatureAlgorithm.SHA1);
        await ChooseAsync(cut, SignatureEncoding.Base64);
        cut.Find("input[data-testid=secret-input]").Input("the-senders-own-secret");
        Assert.Equal("password", cut.Find("input[data-testid=secret-input]").GetAttribute("type"));
        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders' saved.", cut.Markup));
        // The sender's secret was entered, so none was generated and there is nothing to show.
        Assert.Empty(cut.FindAll("[data-testid=secret-dialog]"));
        Assert.Empty(cut.FindAll("[data-testid=secret-value]"));
        Assert.Equal("", cut.Find("input[data-testid=secret-input]").GetAttribute("value") ?? "");
        await using var db = Database.CreateContext();
        var stored = await db.Listeners.SingleAsync();
        Assert.Equal(
            (ListenerAuthMethod.Hmac, "X-Crm-Signature", "sha1=", (SignatureAlgorithm?)SignatureAlgorithm.SHA1, (SignatureEncoding?)SignatureEncoding.Base64),
            (stored.AuthMethod, stored.TokenName, stored.TokenPrefix, stored.SignatureAlgorithm, stored.SignatureEncoding));
        Assert.Equal("the-senders-own-secret", StoredSecret(stored));
        Assert.Contains("X-Crm-Signature: sha1=$SIG", cut.Find("[data-testid=curl-example]").TextContent);
    }

    [Fact]
    public async Task Server_refusals_show_under_the_signature_header_tolerance_and_verify_token_fields()
    {
        await SeedIntegrationAsync();
        SignInAsAdmin();
        var cut = RenderEditor(null);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=listener-name]"));
        cut.Find("input[data-testid=listener-name]").Input("Signed");
        await ChooseAsync(cut, ListenerAuthMethod.Hmac);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=signature-header]"));
        cut.Find("input[data-testid=signature-header]").Input("");
        await ChooseAsync(cut, ListenerHandshake.HubChallenge);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=verify-token]"));

        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Hmac needs the name of the header", FieldText(cut, "signature-header")));
        Assert.Contains("HubChallenge needs the verify token", FieldText(cut, "verify-token"));
        Assert.Contains("Check the highlighted fields.", cut.Markup);

        // Stripe: a tolerance the server refuses shows under the tolerance field.
        await ChooseAsync(cut, ListenerHandshake.None);
        await ChooseAsync(cut, ListenerAuthMethod.Stripe);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=signature-tolerance]"));
        Assert.Equal("00:05:00", cut.Find("input[data-testid=signature-tolerance]").GetAttribute("value"));
        cut.Find("input[data-testid=signature-tolerance]").Input("2.00:00:00");
        cut.Find("[data-testid=save-listener]").Click();
        cut.WaitForAssertion(() => Assert.Contains("The tolerance is a time span", FieldText(cut, "signature-tolerance")));

        await using var db = Database.CreateContext();
        Assert.Equal(0, await db.Listeners.CountAsync());
    }

    [Fact]
    public async Task Rotating_the_secret_asks_for_the_overlap_shows_the_new_secret_and_can_expire_the_previous_one()
    {
        var listener = await SeedListenerAsync(GitHub);
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => Assert.Contains("Rotate secret", cut.Find("[data-testid=rotate-secret]").TextContent));

        cut.Find("[data-testid=rotate-secret]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=confirm-rotate]"));
        Assert.Contains("For 24 hours (default)", cut.Find(".mud-dialog").InnerHtml);
        cut.Find("[data-testid=confirm-rotate]").Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=secret-value]"));
        var secret = cut.Find("[data-testid=secret-value]").GetAttribute("value")!;
        await using (var db = Database.CreateContext())
        {
            var stored = await db.Listeners.AsNoTracking().SingleAsync();
            Assert.Equal(secret, StoredSecret(stored));
            Assert.Equal(new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc), stored.PreviousSigningSecretExpiresUtc);
        }

        cut.Find("[data-testid=secret-done]").Click();
        cut.WaitForAssertion(() => Assert.Contains("accepted until 2026-11-24 12:00 UTC", cut.Find("[data-testid=previous-secret]").TextContent));
        Assert.DoesNotContain(secret, cut.Markup);

        cut.Find("[data-testid=expire-previous-secret]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=previous-secret]")));
        await using (var db = Database.CreateContext())
        {
            Assert.Null((await db.Listeners.AsNoTracking().SingleAsync()).PreviousSigningSecretProtected);
        }
    }

    [Fact]
    public async Task Cancelling_a_rotation_keeps_the_secret()
    {
        var listener = await SeedListenerAsync(GitHub);
        string before;
        await using (var db = Database.CreateContext())
        {
            before = StoredSecret(await db.Listeners.AsNoTracking().SingleAsync());
        }

        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=rotate-secret]"));
        cut.Find("[data-testid=rotate-secret]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=cancel-rotate]"));
        cut.Find("[data-testid=cancel-rotate]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(before, StoredSecret(await db.Listeners.AsNoTracking().SingleAsync()));
        }
    }

    [Fact]
    public async Task The_idempotency_header_window_and_a_hub_challenge_with_its_verify_token_are_sent()
    {
        var listener = await SeedListenerAsync(GitHub);
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=idempotency-header]"));
        Assert.Contains("X-GitHub-Delivery", FieldText(cut, "idempotency-header"));
        Assert.Equal("1.00:00:00", cut.Find("input[data-testid=idempotency-window]").GetAttribute("value"));

        cut.Find("input[data-testid=idempotency-header]").Input("X-GitHub-Delivery");
        cut.Find("input[data-testid=idempotency-window]").Input("02:00:00");
        await ChooseAsync(cut, ListenerHandshake.HubChallenge);
        cut.WaitForAssertion(() => cut.Find("input[data-testid=verify-token]"));
        Assert.Equal("password", cut.Find("input[data-testid=verify-token]").GetAttribute("type"));
        cut.Find("input[data-testid=verify-token]").Input("let-me-in");
        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders' saved.", cut.Markup));
        // The GitHub secret was kept: nothing new to show.
        Assert.Empty(cut.FindAll("[data-testid=secret-value]"));
        cut.WaitForAssertion(() => Assert.Contains("A verify token is set", FieldText(cut, "verify-token")));
        await using var db = Database.CreateContext();
        var stored = await db.Listeners.SingleAsync();
        Assert.Equal(("X-GitHub-Delivery", (int?)7200, ListenerHandshake.HubChallenge), (stored.IdempotencyHeader, stored.IdempotencyWindowSeconds, stored.Handshake));
        Assert.Equal(ListenerTokens.HashToken("let-me-in"), stored.HandshakeVerifyTokenHash);
        Assert.Equal(ListenerAuthMethod.GitHub, stored.AuthMethod);
    }

    [Fact]
    public async Task Saving_other_settings_keeps_the_verify_token_and_the_secret()
    {
        var listener = await SeedListenerAsync(GitHub);
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().UpdateAsync(listener.Id,
                new ListenerRequest(null, null, null, null, Handshake: ListenerHandshake.HubChallenge, VerifyToken: "let-me-in") { Sent = new HashSet<string> { "handshake", "verifyToken" } });
        }

        string before;
        await using (var db = Database.CreateContext())
        {
            before = StoredSecret(await db.Listeners.AsNoTracking().SingleAsync());
        }

        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => Assert.Contains("A verify token is set", FieldText(cut, "verify-token")));
        cut.Find("input[data-testid=listener-name]").Input("Orders v2");
        cut.Find("[data-testid=save-listener]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders v2' saved.", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            var stored = await db.Listeners.AsNoTracking().SingleAsync();
            Assert.Equal(ListenerTokens.HashToken("let-me-in"), stored.HandshakeVerifyTokenHash);
            Assert.Equal(before, StoredSecret(stored));
            Assert.Equal(ListenerHandshake.HubChallenge, stored.Handshake);
        }
    }

    [Fact]
    public async Task Turning_signature_auth_off_asks_first_and_cancel_keeps_the_secret()
    {
        var listener = await SeedListenerAsync(GitHub);
        SignInAsAdmin();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=rotate-secret]"));

        await ChooseAsync(cut, ListenerAuthMethod.None);
        cut.Find("[data-testid=save-listener]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Anyone who knows the URL", cut.Find(".mud-dialog").TextContent));
        Assert.Contains("signing secret is deleted", cut.Find(".mud-dialog").TextContent);
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")));
        await using (var db = Database.CreateContext())
        {
            var stored = await db.Listeners.AsNoTracking().SingleAsync();
            Assert.Equal(ListenerAuthMethod.GitHub, stored.AuthMethod);
            Assert.NotNull(stored.SigningSecretProtected);
        }

        cut.Find("[data-testid=save-listener]").Click();
        cut.WaitForAssertion(() => cut.Find(".mud-dialog"));
        cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Change it").Click();
        cut.WaitForAssertion(() => Assert.Contains("Listener 'Orders' saved.", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            var stored = await db.Listeners.AsNoTracking().SingleAsync();
            Assert.Equal(ListenerAuthMethod.None, stored.AuthMethod);
            Assert.Null(stored.SigningSecretProtected);
        }
    }

    [Fact]
    public async Task Support_sees_the_signature_and_delivery_settings_disabled_without_secret_controls()
    {
        var listener = await SeedListenerAsync(new ListenerAuthRequest(ListenerAuthMethod.Stripe, null, null, null, Secret: "whsec_from_stripe_123"), idempotencyHeader: "Idempotency-Key");
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<ListenerSecrets>().RotateAsync(listener.Id, "whsec_from_stripe_456", TimeSpan.FromHours(1));
        }

        SignInAsSupport();
        var cut = RenderEditor(listener.Id);
        cut.WaitForAssertion(() => cut.Find("[data-testid=secret-state]"));

        Assert.Contains("A signing secret is set", cut.Find("[data-testid=secret-state]").TextContent);
        Assert.Contains("accepted until 2026-11-23 13:00 UTC", cut.Find("[data-testid=previous-secret]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=rotate-secret]"));
        Assert.Empty(cut.FindAll("[data-testid=expire-previous-secret]"));
        Assert.Empty(cut.FindAll("[data-testid=secret-input]"));
        Assert.Empty(cut.FindAll("[data-testid=save-listener]"));
        foreach (var field in new[] { "auth-method", "signature-tolerance", "idempotency-header", "idempotency-window", "handshake" })
        {
            Assert.True(DisabledInput(cut.Find($"[data-testid={field}]")), $"{field} is not disabled");
        }

        Assert.Equal("Idempotency-Key", cut.Find("input[data-testid=idempotency-header]").GetAttribute("value"));

        // The service refuses Support too, whatever the page shows.
        await Assert.ThrowsAsync<WebhookPortal.Infrastructure.Errors.ForbiddenException>(() => Services.GetRequiredService<ListenerSecrets>().RotateAsync(listener.Id, null, null));
    }
}
