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

    /// <summary>
    /// Generates or rotates the token: ≥ 32 random bytes, shown once, stored as a SHA-256 hash. The token it replaces is
    /// still accepted for <paramref name="overlap"/> (Listeners:TokenOverlap when null; zero: not at all), so the System
    /// of Record can switch without a refused request.
    /// </summary>
    public async Task<Contracts.TokenResponse> RotateTokenAsync(Guid id, TimeSpan? overlap = null, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("generate listener tokens");
        var keep = CredentialOverlap.Of(overlap, options.Value.TokenOverlap);
        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var listener = await ChangeAsync(dbFactory, directory, time, id, listener =>
        {
            if (listener.AuthMethod != ListenerAuthMethod.Token)
            {
                throw new ConflictException("The listener's authorization method is None; set it to Token before generating a token.");
            }

            (listener.PreviousTokenHash, listener.PreviousTokenExpiresUtc) = CredentialOverlap.Previous(listener.TokenHash, keep, time.GetUtcNow().UtcDateTime);
            listener.TokenHash = HashToken(token);
        }, ct);
        return new Contracts.TokenResponse(token, listener.PreviousTokenExpiresUtc);
    }

    /// <summary>"Expire now": the previous token is refused from now on.</summary>
    public async Task ExpirePreviousTokenAsync(Guid id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("expire listener tokens");
        await ChangeAsync(dbFactory, directory, time, id, listener => (listener.PreviousTokenHash, listener.PreviousTokenExpiresUtc) = ((byte[]?)null, (DateTime?)null), ct);
    }
}
