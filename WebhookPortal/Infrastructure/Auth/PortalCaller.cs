using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// Who is calling a feature service, whichever way the call came: an API request (its HttpContext), an
/// interactive page (the circuit's authentication state) or a background job or test that says so
/// explicitly. Services check roles with it, because a hidden button is not a check: a component calls
/// the service directly, with no endpoint policy in between.
/// </summary>
public sealed class PortalCaller(IHttpContextAccessor http, IServiceProvider services)
{
    private static readonly ClaimsPrincipal Nobody = new(new ClaimsIdentity());

    private ClaimsPrincipal? assigned;

    /// <summary>Acts as this principal for the rest of the scope (background jobs, tests, seeding).</summary>
    public PortalCaller Use(ClaimsPrincipal user)
    {
        assigned = user;
        return this;
    }

    public async Task<ClaimsPrincipal> GetUserAsync()
    {
        if (assigned is not null)
        {
            return assigned;
        }

        // An API request carries its own principal; the circuit's state does not exist there.
        if (http.HttpContext is { } context && AuthSetup.IsApiPath(context.Request.Path))
        {
            return context.User;
        }

        // In a circuit the authentication state is the revalidated one (a role change shows up here);
        // the HttpContext there would be the stale one of the connection's start.
        if (services.GetService<AuthenticationStateProvider>() is { } provider)
        {
            try
            {
                return (await provider.GetAuthenticationStateAsync()).User;
            }
            catch (InvalidOperationException)
            {
                // Not a component scope (the server provider has no state outside one).
            }
        }

        return http.HttpContext?.User ?? Nobody;
    }

    public async Task<string?> NameAsync() => (await GetUserAsync()).Identity?.Name;

    public async Task<bool> IsAdminAsync() => IsAdmin(await GetUserAsync());

    public static bool IsAdmin(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true && user.IsInRole(PortalRoles.Admin);

    /// <summary>Writes and secrets: refuses anyone but an administrator (403 on the API, a message on the page).</summary>
    public async Task<ClaimsPrincipal> RequireAdminAsync(string action)
    {
        var user = await GetUserAsync();
        if (!IsAdmin(user))
        {
            throw new ForbiddenException($"Only administrators may {action}.");
        }

        return user;
    }

    /// <summary>Whether the caller may redeliver, retry and replay: an administrator, or Support unless <c>Roles:SupportMayRedeliver</c> is off.</summary>
    public async Task<bool> MayActOnDeliveriesAsync() => MayActOnDeliveries(await GetUserAsync());

    private bool MayActOnDeliveries(ClaimsPrincipal user) =>
        IsAdmin(user)
        || (user.Identity?.IsAuthenticated == true && user.IsInRole(PortalRoles.Support)
            && (services.GetService<Microsoft.Extensions.Options.IOptionsMonitor<RoleOptions>>()?.CurrentValue ?? new RoleOptions()).SupportMayRedeliver);

    /// <summary>The support actions (redeliver, retry now, replay): refuses anyone <see cref="MayActOnDeliveriesAsync"/> says may not.</summary>
    public async Task<ClaimsPrincipal> RequireDeliveryActionAsync(string action)
    {
        var user = await GetUserAsync();
        if (!MayActOnDeliveries(user))
        {
            throw new ForbiddenException(user.IsInRole(PortalRoles.Support)
                ? $"Support staff may not {action} here (Roles:SupportMayRedeliver is off); ask an administrator."
                : $"Only administrators and support staff may {action}.");
        }

        return user;
    }

    /// <summary>Admin or Support: reading, and the support actions (redeliver, replay).</summary>
    public async Task<ClaimsPrincipal> RequireStaffAsync(string action)
    {
        var user = await GetUserAsync();
        if (user.Identity?.IsAuthenticated != true || !(user.IsInRole(PortalRoles.Admin) || user.IsInRole(PortalRoles.Support)))
        {
            throw new ForbiddenException($"Only administrators and support staff may {action}.");
        }

        return user;
    }
}
