using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Identity;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// "Choose a new password before anything else": a user claim (no schema change) set on the generated
/// first-admin password, removed when the user changes it.
/// </summary>
public static class PasswordChange
{
    public const string RequiredClaim = "webhookportal:must_change_password";
    public const string PagePath = "/Account/Manage/ChangePassword";
    public const string ApiDetail = "This account still has its one-time password. Sign in at /Account/Login and choose a new password first.";

    public static bool IsRequired(System.Security.Claims.ClaimsPrincipal user) => user.HasClaim(c => c.Type == RequiredClaim);

    public static Task<IdentityResult> RequireAsync(UserManager<ApplicationUser> users, ApplicationUser user) =>
        users.AddClaimAsync(user, new System.Security.Claims.Claim(RequiredClaim, "true"));

    /// <summary>Drops the flag after a successful change (and renews the stamp so no session keeps the old claim).</summary>
    public static async Task CompleteAsync(UserManager<ApplicationUser> users, ApplicationUser user)
    {
        var flags = (await users.GetClaimsAsync(user)).Where(c => c.Type == RequiredClaim).ToList();
        if (flags.Count > 0)
        {
            await users.RemoveClaimsAsync(user, flags);
            await users.UpdateSecurityStampAsync(user);
        }
    }

    /// <summary>Signed in with the one-time password: pages send the user to the change-password page, everything else is 403.</summary>
    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.Identity?.IsAuthenticated == true && IsRequired(context.User) && !AuthSetup.IsApiPath(context.Request.Path))
        {
            // Interactive circuits and the other signed-in tools answer 403; static files and the account pages stay reachable.
            if (BlockedTools.Any(p => context.Request.Path.StartsWithSegments(p)))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("Choose a new password first: " + PagePath);
                return;
            }

            if (context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null && !context.Request.Path.StartsWithSegments("/Account"))
            {
                context.Response.Redirect(PagePath);
                return;
            }
        }

        await next(context);
    });

    private static readonly string[] BlockedTools = ["/_blazor", "/hangfire", "/scalar", "/openapi"];
}
