using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Features.Jobs;

/// <summary>
/// Job tokens (docs/compatibility.md#async-jobs): an API key plus a user's password buy a short-lived bearer token,
/// stored hashed and bound to the user's security stamp; a context per operation.
/// </summary>
public sealed class JobTokens(
    IDbContextFactory<PortalDbContext> dbFactory,
    ApiKeyService apiKeys,
    UserManager<ApplicationUser> users,
    SignInManager<ApplicationUser> signIn,
    IOptions<JobOptions> options,
    TimeProvider time)
{
    public const string TokenPrefix = "wpt_";

    /// <summary>
    /// API key and a user's password → a short-lived token (the endpoint throttles the attempts, see
    /// <see cref="CredentialThrottle"/>); a user who still has a one-time password gets no token.
    /// </summary>
    public async Task<AuthenticateOutcome> AuthenticateAsync(AuthenticateRequest request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.ApiKey) || string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password))
        {
            return AuthenticateOutcome.Failed;
        }

        if (await apiKeys.ValidateAsync(request.ApiKey, ct) is null)
        {
            return AuthenticateOutcome.Failed;
        }

        var user = await users.FindByEmailAsync(request.Username) ?? await users.FindByNameAsync(request.Username);
        var check = user is null ? Microsoft.AspNetCore.Identity.SignInResult.Failed : await signIn.CheckPasswordSignInAsync(user, request.Password, lockoutOnFailure: false);
        if (user is null || !check.Succeeded)
        {
            // A locked account is refused before its password is looked at: that is no guess to count.
            return check.IsLockedOut ? AuthenticateOutcome.Failed : AuthenticateOutcome.WrongPassword;
        }

        if ((await users.GetClaimsAsync(user)).Any(c => c.Type == PasswordChange.RequiredClaim))
        {
            return new AuthenticateOutcome(Token: null, MustChangePassword: true);
        }

        var roles = await users.GetRolesAsync(user);
        var token = TokenPrefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var expires = time.GetUtcNow().UtcDateTime + options.Value.TokenLifetime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.JobTokens.Add(new JobToken
        {
            Id = StampBinding(user.SecurityStamp, token),
            TokenHash = JobService.Hash(token),
            UserId = user.Id,
            UserName = user.Email ?? user.UserName ?? user.Id,
            Role = roles.Contains(PortalRoles.Admin) ? PortalRoles.Admin : PortalRoles.Support,
            ExpiresUtc = expires,
        });
        await db.SaveChangesAsync(ct);
        return new AuthenticateOutcome(new TokenResponse(token, expires));
    }

    /// <summary>
    /// A token works while it has not expired and its user still exists, is not locked and has the security stamp
    /// the token was issued under (a role change, a lock or a password change renews the stamp).
    /// </summary>
    public async Task<JobToken?> ValidateTokenAsync(string token, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = JobService.Hash(token);
        var found = await db.JobTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (found is null || found.ExpiresUtc <= time.GetUtcNow().UtcDateTime || !CryptographicOperations.FixedTimeEquals(found.TokenHash, hash))
        {
            return null;
        }

        var user = await users.FindByIdAsync(found.UserId);
        return user is not null && !await users.IsLockedOutAsync(user) && found.Id == StampBinding(user.SecurityStamp, token) ? found : null;
    }

    // The token row's id is derived from the user's security stamp at issue (no extra column): a renewed
    // stamp no longer yields the same id, so every token of that user stops working at once.
    private static Guid StampBinding(string? securityStamp, string token) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes((securityStamp ?? "") + "\n" + token)).AsSpan(0, 16));
}
