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
public sealed class WebhookSecrets(IDbContextFactory<PortalDbContext> dbFactory, IDataProtectionProvider protection, TimeProvider time, PortalCaller caller)
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

    public async Task<string> RotateSecretAsync(Guid id, string? user, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("rotate signing secrets");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException($"No webhook with id {id}.");
        var secret = Signer.NewSecret();
        webhook.ProtectedSecret = Protect(protection, secret);
        webhook.UpdatedUtc = time.GetUtcNow().UtcDateTime;
        webhook.UpdatedBy = user;
        await db.SaveChangesAsync(ct);
        return secret;
    }
}
