using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// A signature listener's signing secret: entered (the sender made it) or generated and shown once, stored
/// protected; a rotation keeps the previous secret valid for an overlap, as a token rotation does.
/// </summary>
public sealed class ListenerSecrets(
    IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, PortalCaller caller,
    IDataProtectionProvider protection, Microsoft.Extensions.Options.IOptions<ListenerOptions> options)
{
    public async Task<Contracts.SecretResponse> RotateAsync(Guid id, string? secret, TimeSpan? overlap, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change listener signing secrets");
        var keep = CredentialOverlap.Of(overlap, options.Value.TokenOverlap);
        string? next = null;
        var listener = await ChangeAsync(dbFactory, directory, time, id, listener =>
        {
            if (!listener.AuthMethod.IsSignature())
            {
                throw new ConflictException($"The listener's authorization method is {listener.AuthMethod}; signing secrets belong to Hmac, GitHub, Shopify, Stripe, Slack and StandardWebhooks.");
            }

            if (secret is not null && ListenerSignatures.Invalid(listener.AuthMethod, secret) is { } invalid)
            {
                throw new PortalValidationException("secret", invalid);
            }

            next = secret ?? ListenerSignatures.Generate(listener.AuthMethod);
            (listener.PreviousSigningSecretProtected, listener.PreviousSigningSecretExpiresUtc) = CredentialOverlap.Previous(listener.SigningSecretProtected, keep, time.GetUtcNow().UtcDateTime);
            listener.SigningSecretProtected = ListenerSignatures.Protect(protection, next);
        }, ct);
        return new Contracts.SecretResponse(next!, listener.PreviousSigningSecretExpiresUtc);
    }

    /// <summary>"Expire now": the previous signing secret is refused from now on.</summary>
    public async Task ExpirePreviousAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("expire listener signing secrets");
        await ChangeAsync(dbFactory, directory, time, id, listener => (listener.PreviousSigningSecretProtected, listener.PreviousSigningSecretExpiresUtc) = ((string?)null, (DateTime?)null), ct);
    }
}
