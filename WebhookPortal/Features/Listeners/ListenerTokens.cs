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
public sealed class ListenerTokens(IDbContextFactory<PortalDbContext> dbFactory, ListenerDirectory directory, TimeProvider time, PortalCaller caller)
{
    /// <summary>The header a token is read from when the listener names none.</summary>
    public const string DefaultTokenHeader = "X-Webhook-Token";

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Generates or rotates the token: ≥ 32 random bytes, shown once, stored as a SHA-256 hash.</summary>
    public async Task<string> RotateTokenAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await caller.RequireAdminAsync("generate listener tokens");
        var listener = await FindAsync(db, id, ct);
        if (listener.AuthMethod != ListenerAuthMethod.Token)
        {
            throw new ConflictException("The listener's authorization method is None; set it to Token before generating a token.");
        }

        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        listener.TokenHash = HashToken(token);
        Touch(listener, time);
        await SaveAsync(db, listener.Name, ct);
        directory.Invalidate(id);
        return token;
    }
}
