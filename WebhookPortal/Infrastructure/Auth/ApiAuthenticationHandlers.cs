using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// Shared answers of the API schemes: 401 with <c>WWW-Authenticate</c> and 403, both as problem
/// details, never a redirect to the login page.
/// </summary>
public abstract class ApiAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Realm = "WebhookPortal";

    private string? failure;
    private (int Status, string Title, string Detail, string? RetryAfter)? refusal;

    protected AuthenticateResult Failure(string message)
    {
        failure = message;
        return AuthenticateResult.Fail(message);
    }

    /// <summary>A credential that is not simply wrong: the challenge answers this status instead of 401.</summary>
    protected AuthenticateResult Refuse(int status, string title, string detail, string? retryAfter = null)
    {
        refusal = (status, title, detail, retryAfter);
        return AuthenticateResult.Fail(detail);
    }

    protected AuthenticateResult TooManyAttempts(string retryAfterSeconds) =>
        Refuse(StatusCodes.Status429TooManyRequests, "Too many sign-in attempts.", $"Too many failed credential checks; try again in {retryAfterSeconds} seconds.", retryAfterSeconds);

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (refusal is { } refused)
        {
            Response.StatusCode = refused.Status;
            if (refused.RetryAfter is not null)
            {
                Response.Headers.RetryAfter = refused.RetryAfter;
            }

            await WriteProblemAsync(refused.Status, refused.Title, refused.Detail);
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append("WWW-Authenticate", $"Basic realm=\"{Realm}\", charset=\"UTF-8\"");
        Response.Headers.Append("WWW-Authenticate", $"Bearer realm=\"{Realm}\"");
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Authentication required.",
            failure ?? "Send HTTP Basic credentials (a portal user's email and password) or 'Authorization: Bearer <api key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden.", "Your role does not allow this operation.");
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        var problems = Context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}

/// <summary>
/// HTTP Basic with a portal user's email and password. Failed checks are throttled per client address and per
/// account (<see cref="CredentialThrottle"/>: 429 with Retry-After); a verified credential is remembered briefly
/// (<see cref="BasicCredentialCache"/>) and only while the user's security stamp stays the same.
/// </summary>
public sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialThrottle throttle,
    BasicCredentialCache verified)
    : ApiAuthenticationHandler(options, logger, encoder)
{
    public const string SchemeName = "Basic";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return Failure("The Basic credentials are not valid base64.");
        }

        var colon = decoded.IndexOf(':');
        if (colon <= 0)
        {
            return Failure("The Basic credentials must be 'email:password'.");
        }

        var (email, password) = (decoded[..colon], decoded[(colon + 1)..]);
        var key = BasicCredentialCache.KeyOf(email, password);
        if (await FromCacheAsync(key) is { } cached)
        {
            return cached;
        }

        using var attempt = await throttle.BeginAsync(CredentialThrottle.AddressOf(Context), email, Context.RequestAborted);
        if (!attempt.Allowed)
        {
            return TooManyAttempts(attempt.RetryAfterSeconds);
        }

        // Another request of this client may have verified the same credential while this one waited its turn.
        if (await FromCacheAsync(key) is { } verifiedMeanwhile)
        {
            return verifiedMeanwhile;
        }

        // Taken before the user is read: a change committed after this makes what is verified here stale.
        var generation = verified.Generation;
        // Resolved only here, for a credential not verified yet: this handler is built for every API and listener
        // request (most carry no Basic header or a cached one), and building Identity's graph (with a rented database
        // context) for each of them cost the listener ingest a third of its CPU (274 -> 188 CPU-ms per 1k requests,
        // bench/RESULTS.md, issue 17).
        var users = Context.RequestServices.GetRequiredService<UserManager<ApplicationUser>>();
        var signIn = Context.RequestServices.GetRequiredService<SignInManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            attempt.Failed();
            await RecordFailureAsync(email, null, "invalid email or password");
            return Failure("Invalid email or password.");
        }

        // Wrong passwords are throttled, not counted towards lockout: a stranger must not be able to lock the owner out.
        var result = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: false);
        if (result.IsLockedOut)
        {
            await RecordFailureAsync(email, user.Id, "the account is locked");
            return Failure("The account is locked out; try again later.");
        }

        if (!result.Succeeded)
        {
            attempt.Failed();
            await RecordFailureAsync(email, user.Id, "invalid email or password");
            return Failure("Invalid email or password.");
        }

        var principal = await signIn.CreateUserPrincipalAsync(user);
        var entry = new BasicCredentialCache.Entry(user.Id, generation, principal.Claims.ToList());
        verified.Remember(key, entry);
        return Success(entry);
    }

    /// <summary>
    /// A failed Basic check goes to the audit trail (successful API requests do not: only interactive sign-ins are
    /// recorded). Throttled attempts are not recorded either, so a flood costs no writes.
    /// </summary>
    private Task RecordFailureAsync(string email, string? userId, string reason)
    {
        var address = WebhookPortal.Features.Audit.AuditActors.AddressOf(Context);
        return Context.RequestServices.GetRequiredService<WebhookPortal.Features.Audit.AuditLog>().RecordAsync(
            "user.sign_in_failed", WebhookPortal.Features.Audit.AuditResources.User, userId, email, $"Failed HTTP Basic sign-in from {address ?? "an unknown address"}: {reason}",
            new { method = "basic", reason }, WebhookPortal.Features.Audit.AuditSeverity.Warning,
            new WebhookPortal.Features.Audit.AuditActor(WebhookPortal.Features.Audit.AuditActorKinds.Anonymous, null, email, address), Context.RequestAborted);
    }

    /// <summary>
    /// Neither a PBKDF2 hash nor a database read: any change to a user since the verification (password, stamp,
    /// role, lock) has already dropped the entry (<see cref="BasicCredentialCache"/>). A lock that ends on its own
    /// needs no check: an entry is only made for an account that was not locked.
    /// </summary>
    private Task<AuthenticateResult?> FromCacheAsync(string key) =>
        Task.FromResult(verified.Find(key) is { } entry ? Success(entry) : null);

    private AuthenticateResult Success(BasicCredentialCache.Entry entry)
    {
        var identity = new ClaimsIdentity(entry.Claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        if (identity.HasClaim(c => c.Type == PasswordChange.RequiredClaim))
        {
            return Refuse(StatusCodes.Status403Forbidden, "Password change required.", PasswordChange.ApiDetail);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
