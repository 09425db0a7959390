using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using WebhookPortal.Components.Account;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Auth;

public static class AuthSetup
{
    public const string PortalScheme = "Portal";

    /// <summary>Machine endpoints: never redirected to the login page, never authenticated by cookie (no CSRF surface).</summary>
    public static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/v1") || path.StartsWithSegments("/hooks");

    public static void AddPortalAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = PortalScheme;
                o.DefaultChallengeScheme = PortalScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            // One policy scheme picks how a request proves who it is: Basic, Bearer (API key) or the browser's cookie.
            .AddPolicyScheme(PortalScheme, "Portal", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, JobTokenAuthenticationHandler>(JobTokenAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "WebhookPortal.Auth";
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.HttpOnly = true;
            o.Events.OnRedirectToAccessDenied = ctx =>
            {
                // The Hangfire dashboard and other non-page endpoints answer a plain 403.
                if (ctx.Request.Path.StartsWithSegments("/hangfire"))
                {
                    ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                }

                ctx.Response.Redirect(ctx.RedirectUri);
                return Task.CompletedTask;
            };
        });

        services.AddIdentityCore<ApplicationUser>(o =>
            {
                o.SignIn.RequireConfirmedAccount = false;
                o.User.RequireUniqueEmail = true;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                o.Password.RequiredLength = 8;
                o.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        services.AddAuthorizationBuilder()
            .AddPolicy(PortalPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin))
            .AddPolicy(PortalPolicies.Read, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin, PortalRoles.Support))
            .AddPolicy(PortalPolicies.Hooks, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin, PortalRoles.Support, PortalRoles.Subscriber))
            .AddPolicy(PortalPolicies.HooksWrite, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin, PortalRoles.Subscriber))
            // Anything not explicitly opened needs a signed-in user.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    private static string SelectScheme(HttpContext context)
    {
        if (IsApiPath(context.Request.Path) && JobTokenAuthenticationHandler.Presented(context.Request) is not null)
        {
            return JobTokenAuthenticationHandler.SchemeName;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicAuthenticationHandler.SchemeName;
        }

        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ApiKeyAuthenticationHandler.SchemeName;
        }

        return IsApiPath(context.Request.Path) ? BasicAuthenticationHandler.SchemeName : IdentityConstants.ApplicationScheme;
    }
}
