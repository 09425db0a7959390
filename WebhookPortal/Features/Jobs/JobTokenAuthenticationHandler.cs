using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Features.Jobs;

/// <summary>The short-lived token of <c>/api/authenticate</c> (docs/compatibility.md#async-jobs): a <c>token</c> header or <c>Authorization: Bearer wpt_…</c>.</summary>
public sealed class JobTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    JobTokens jobs)
    : ApiAuthenticationHandler(options, logger, encoder)
{
    public const string SchemeName = "JobToken";

    public static string? Presented(HttpRequest request)
    {
        var header = request.Headers["token"].ToString();
        if (!string.IsNullOrEmpty(header))
        {
            return header.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer " + JobTokens.TokenPrefix, StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var token = await jobs.ValidateTokenAsync(presented, Context.RequestAborted);
        if (token is null)
        {
            return Failure("The token is not valid or has expired; call /api/authenticate again.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, token.UserId),
                new Claim(ClaimTypes.Name, token.UserName),
                new Claim(ClaimTypes.Role, token.Role),
            ],
            SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
