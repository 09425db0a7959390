using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using WebhookPortal.Data;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// Identity's user manager, telling <see cref="BasicCredentialCache"/> after every committed change to a user: each
/// of Identity's writes (password, security stamp, roles, lockout, email) ends in <see cref="UpdateUserAsync"/>,
/// and deletes in <see cref="DeleteAsync"/>.
/// </summary>
public sealed class PortalUserManager(
    IUserStore<ApplicationUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<ApplicationUser> passwordHasher,
    IEnumerable<IUserValidator<ApplicationUser>> userValidators,
    IEnumerable<IPasswordValidator<ApplicationUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<ApplicationUser>> logger,
    BasicCredentialCache credentials)
    : UserManager<ApplicationUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    protected override async Task<IdentityResult> UpdateUserAsync(ApplicationUser user)
    {
        var result = await base.UpdateUserAsync(user);
        if (result.Succeeded)
        {
            credentials.UserChanged();
        }

        return result;
    }

    public override async Task<IdentityResult> DeleteAsync(ApplicationUser user)
    {
        var result = await base.DeleteAsync(user);
        if (result.Succeeded)
        {
            credentials.UserChanged();
        }

        return result;
    }
}
