using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Users;

/// <summary>
/// Portal users through Identity: roles, lockout, password resets. The last administrator is protected.
/// Each operation runs in a scope of its own: Identity's user manager takes its context from the scope, so an
/// operation gets one short-lived context (made by the context factory) instead of the page's circuit-long one.
/// </summary>
public sealed class UserService(IServiceScopeFactory scopes, TimeProvider time, PortalCaller caller, WebhookPortal.Features.Integrations.DeletionService deletion)
{
    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct = default)
    {
        // Who may do what is itself an administrator's business.
        await caller.RequireAdminAsync("see users");
        await using var scope = scopes.CreateAsyncScope();
        var users = UsersOf(scope);
        var all = await users.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<UserView>();
        foreach (var user in all)
        {
            result.Add(await ToViewAsync(users, user));
        }

        return result;
    }

    public async Task<UserView> CreateAsync(CreateUserRequest request, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("create users");
        var errors = new Dictionary<string, string[]>();
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(email) || !new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(email))
        {
            errors["email"] = ["A valid email address is required."];
        }

        var role = PortalRoles.Normalize(request.Role);
        if (role is null)
        {
            errors["role"] = [$"The role must be one of: {string.Join(", ", PortalRoles.All)}."];
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            errors["password"] = ["A password is required."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        await using var scope = scopes.CreateAsyncScope();
        var users = UsersOf(scope);
        if (await users.FindByEmailAsync(email!) is not null)
        {
            throw new ConflictException($"A user with the email '{email}' already exists.");
        }

        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, CreatedUtc = time.GetUtcNow().UtcDateTime };
        var created = await users.CreateAsync(user, request.Password!);
        if (!created.Succeeded)
        {
            throw IdentityErrors(created, "password");
        }

        await users.AddToRoleAsync(user, role!);
        return await ToViewAsync(users, user);
    }

    public async Task<UserView> UpdateAsync(string id, UpdateUserRequest request, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("change users");
        await using var scope = scopes.CreateAsyncScope();
        var users = UsersOf(scope);
        var user = await FindAsync(users, id);
        var currentRole = await RoleOfAsync(users, user);
        if (request.Role is not null)
        {
            var role = PortalRoles.Normalize(request.Role) ?? throw new PortalValidationException("role", $"The role must be one of: {string.Join(", ", PortalRoles.All)}.");
            if (role != currentRole)
            {
                if (currentRole == PortalRoles.Admin)
                {
                    await EnsureAnotherAdminAsync(users, user, "demoted");
                }

                await users.RemoveFromRolesAsync(user, PortalRoles.All.Where(r => r != role));
                await users.AddToRoleAsync(user, role);
                currentRole = role;

                // Identity does not renew the stamp for roles: without this, cookies, cached Basic credentials
                // and job tokens would keep the old role.
                await users.UpdateSecurityStampAsync(user);
            }
        }

        if (request.Locked is { } locked)
        {
            if (locked)
            {
                if (currentRole == PortalRoles.Admin)
                {
                    await EnsureAnotherAdminAsync(users, user, "locked");
                }

                await users.SetLockoutEnabledAsync(user, true);
                await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
                await users.UpdateSecurityStampAsync(user);
            }
            else
            {
                await users.SetLockoutEndDateAsync(user, null);
                await users.ResetAccessFailedCountAsync(user);
            }
        }

        if (request.Password is not null)
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            var reset = await users.ResetPasswordAsync(user, token, request.Password);
            if (!reset.Succeeded)
            {
                throw IdentityErrors(reset, "password");
            }
        }

        return await ToViewAsync(users, await FindAsync(users, id));
    }

    public async Task DeleteAsync(string id, CancellationToken ct = default)
    {
        await caller.RequireAdminAsync("delete users");
        await using var scope = scopes.CreateAsyncScope();
        var users = UsersOf(scope);
        var user = await FindAsync(users, id);
        if (await RoleOfAsync(users, user) == PortalRoles.Admin)
        {
            await EnsureAnotherAdminAsync(users, user, "removed");
        }

        // What the user subscribed to goes with the user, in the same transaction as the account: the scope's
        // context is the one Identity's store writes through.
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await deletion.RemoveSubscriptionsOfOwnerAsync(db, user.Id, ct);
        var result = await users.DeleteAsync(user);
        if (!result.Succeeded)
        {
            throw new ConflictException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }

        await transaction.CommitAsync(ct);
    }

    private async Task EnsureAnotherAdminAsync(UserManager<ApplicationUser> users, ApplicationUser user, string action)
    {
        var admins = await users.GetUsersInRoleAsync(PortalRoles.Admin);
        var now = time.GetUtcNow();
        if (!admins.Any(a => a.Id != user.Id && (a.LockoutEnd is null || a.LockoutEnd <= now)))
        {
            throw new ConflictException($"The last active administrator cannot be {action}; make another user an administrator first.");
        }
    }

    private static UserManager<ApplicationUser> UsersOf(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();

    private static async Task<ApplicationUser> FindAsync(UserManager<ApplicationUser> users, string id) =>
        await users.FindByIdAsync(id) ?? throw new NotFoundException($"No user with id {id}.");

    private static async Task<string> RoleOfAsync(UserManager<ApplicationUser> users, ApplicationUser user)
    {
        var roles = await users.GetRolesAsync(user);
        return roles.Contains(PortalRoles.Admin) ? PortalRoles.Admin : roles.FirstOrDefault() ?? PortalRoles.Support;
    }

    private async Task<UserView> ToViewAsync(UserManager<ApplicationUser> users, ApplicationUser user)
    {
        var locked = user.LockoutEnd is { } end && end > time.GetUtcNow();
        return new UserView(user.Id, user.Email ?? user.UserName ?? "", await RoleOfAsync(users, user), locked, user.LockoutEnd, user.CreatedUtc);
    }

    private static PortalValidationException IdentityErrors(IdentityResult result, string field) =>
        new(new Dictionary<string, string[]> { [field] = result.Errors.Select(e => e.Description).ToArray() });
}
