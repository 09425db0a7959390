using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using WebhookPortal.Components.Account;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Auth;

public static class AuthSetup
{
    public const string PortalScheme = "Portal";

    /// <summary>Machine endpoints: never redirected to the login page, never authenticated by cookie (no CSRF surface).</summary>
    public static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/v1") || path.StartsWithSegments("/hooks") || path.StartsWithSegments("/metrics");

    public static void AddPortalAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddMemoryCache();
        services.AddOptions<CredentialRateLimitOptions>().BindConfiguration(CredentialRateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CredentialThrottle>();
        services.AddSingleton<BasicCredentialCache>();
        services.AddCredentialRateLimiter();

        // A role change, a lock or a password change renews the user's security stamp; cookies notice within this interval.
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<SessionOptions>, TimeProvider>((o, sessions, time) =>
        {
            o.ValidationInterval = sessions.Value.RevalidationInterval;
            o.TimeProvider = time;
        });

        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = PortalScheme;
                o.DefaultChallengeScheme = PortalScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            // One policy scheme picks how a request proves who it is: a feature's API scheme (API key, job token;
            // see AddApiCredentialScheme), Basic, or the browser's cookie.
            .AddPolicyScheme(PortalScheme, "Portal", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();

        services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<TimeProvider>((o, time) => o.TimeProvider = time);
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
                // Lockout is an administrator's action (Users page); wrong passwords are throttled per address and
                // account instead (CredentialThrottle), so that no stranger can keep an account locked.
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                o.Password.RequiredLength = 8;
                o.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddUserManager<PortalUserManager>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        services.AddOptions<RoleOptions>().BindConfiguration(RoleOptions.Section);

        services.AddAuthorizationBuilder()
            .AddPolicy(PortalPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin))
            .AddPolicy(PortalPolicies.Read, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin, PortalRoles.Support))
            .AddPolicy(PortalPolicies.Hooks, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin, PortalRoles.Support, PortalRoles.Subscriber))
            .AddPolicy(PortalPolicies.HooksWrite, p => p.RequireAuthenticatedUser().RequireRole(PortalRoles.Admin, PortalRoles.Subscriber))
            // Anything not explicitly opened needs a signed-in user.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    /// <summary>
    /// The machine-readable OpenAPI document: tools fetch it with Basic or an API key, the Scalar page in the
    /// browser with the cookie. Read-only GETs, so the cookie there opens no CSRF surface.
    /// </summary>
    public static bool IsDocumentPath(PathString path) => path.StartsWithSegments("/openapi");

    // Pages (and the Hangfire dashboard, Scalar, the Blazor hub) know only the sign-in cookie: a Basic header,
    // an API key or a job token there is ignored, so a key made for automation never opens the UI.
    private static string SelectScheme(HttpContext context)
    {
        var path = context.Request.Path;
        if (!IsApiPath(path) && !IsDocumentPath(path))
        {
            return IdentityConstants.ApplicationScheme;
        }

        var schemes = context.RequestServices.GetRequiredService<IOptions<ApiCredentialSchemes>>().Value;
        foreach (var scheme in schemes.Entries)
        {
            if ((scheme.DocumentToo || IsApiPath(path)) && scheme.Presents(context.Request))
            {
                return scheme.Scheme;
            }
        }

        if (context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicAuthenticationHandler.SchemeName;
        }

        return IsApiPath(context.Request.Path) ? BasicAuthenticationHandler.SchemeName : IdentityConstants.ApplicationScheme;
    }
}
