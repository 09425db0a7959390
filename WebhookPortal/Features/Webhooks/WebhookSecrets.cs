using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Webhooks;

/// <summary>
/// Signing secrets: kept protected at rest (Data Protection keys live in the database), revealed and
/// rotated by administrators only. The static helpers serve every signed target (webhooks, subscriptions).
/// </summary>
public sealed class WebhookSecrets(IDbContextFactory<PortalDbContext> dbFactory, IDataProtectionProvider protection, TimeProvider time, PortalCaller caller, Microsoft.Extensions.Options.IOptions<DeliveryOptions> options)
{
    private const string Purpose = "WebhookPortal.SigningSecrets.v1";

    public static string Protect(IDataProtectionProvider provider, string secret) => provider.CreateProtector(Purpose).Protect(secret);

    public static string Unprotect(IDataProtectionProvider provider, string protectedSecret) => provider.CreateProtector(Purpose).Unprotect(protectedSecret);

    public async Task<string> GetSecretAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("read signing secrets");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        return Unprotect(protection, webhook.ProtectedSecret);
    }

    /// <summary>
    /// A new secret; the one it replaces keeps signing beside it for <paramref name="overlap"/> (Delivery:SecretOverlap
    /// when null; zero ends it at once). Rotating again drops the older one: only one previous secret is kept.
    /// </summary>
    public async Task<SecretResponse> RotateSecretAsync(Guid id, string? user, TimeSpan? overlap = null, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("rotate signing secrets");
        var keep = CredentialOverlap.Of(overlap, options.Value.SecretOverlap);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        var now = time.GetUtcNow().UtcDateTime;
        var secret = Signer.NewSecret();
        (webhook.PreviousProtectedSecret, webhook.PreviousSecretExpiresUtc) = CredentialOverlap.Previous(webhook.ProtectedSecret, keep, now);
        webhook.ProtectedSecret = Protect(protection, secret);
        webhook.UpdatedUtc = now;
        webhook.UpdatedBy = user;
        await db.SaveChangesAsync(ct);
        return new SecretResponse(secret, webhook.PreviousSecretExpiresUtc);
    }

    /// <summary>"Expire now": the previous secret stops signing at once.</summary>
    public async Task ExpirePreviousSecretAsync(Guid id, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("expire signing secrets");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        webhook.PreviousProtectedSecret = null;
        webhook.PreviousSecretExpiresUtc = null;
        webhook.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        webhook.UpdatedBy = user;
        await db.SaveChangesAsync(ct);
    }
}
