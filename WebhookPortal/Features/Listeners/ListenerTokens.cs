using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>
/// A listener's token: generated here and shown once, kept only as a hash that the receiver's
/// authenticator compares with what a request presents.
/// </summary>
public sealed class ListenerTokens(IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, PortalCaller caller, Microsoft.Extensions.Options.IOptions<ListenerOptions> options)
{
    /// <summary>The header a token is read from when the listener names none.</summary>
    public const string DefaultTokenHeader = "X-Webhook-Token";

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The longest overlap a rotation may ask for.</summary>
    public static readonly TimeSpan MaxOverlap = TimeSpan.FromDays(30);

    /// <summary>
    /// Generates or rotates the token: ≥ 32 random bytes, shown once, stored as a SHA-256 hash. The token it replaces is
    /// still accepted for <paramref name="overlap"/> (Listeners:TokenOverlap when null; zero: not at all), so the System
    /// of Record can switch without a refused request.
    /// </summary>
    public async Task<Contracts.TokenResponse> RotateTokenAsync(Guid id, TimeSpan? overlap = null, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("generate listener tokens");
        var keep = overlap ?? options.Value.TokenOverlap;
        if (keep < TimeSpan.Zero || keep > MaxOverlap)
        {
            throw new PortalValidationException("overlap", "The overlap is between 00:00:00 (none) and 30.00:00:00.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listener = await FindAsync(db, id, ct);
        if (listener.AuthMethod != ListenerAuthMethod.Token)
        {
            throw new ConflictException("The listener's authorization method is None; set it to Token before generating a token.");
        }

        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow().UtcDateTime;
        (listener.PreviousTokenHash, listener.PreviousTokenExpiresUtc) = keep > TimeSpan.Zero && listener.TokenHash is not null
            ? (listener.TokenHash, now + keep)
            : ((byte[]?)null, (DateTime?)null);
        listener.TokenHash = HashToken(token);
        Touch(listener, time);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
        return new Contracts.TokenResponse(token, listener.PreviousTokenExpiresUtc);
    }

    /// <summary>"Expire now": the previous token is refused from now on.</summary>
    public async Task ExpirePreviousTokenAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("expire listener tokens");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var listener = await FindAsync(db, id, ct);
        listener.PreviousTokenHash = null;
        listener.PreviousTokenExpiresUtc = null;
        Touch(listener, time);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
    }
}
