using Microsoft.AspNetCore.Identity;

namespace WebhookPortal.Data;

/// <summary>A portal user (administrator or support staff). Roles come from Identity's role store.</summary>
public class ApplicationUser : IdentityUser
{
    public DateTime CreatedUtc { get; set; } = DateTime.UtcNow;
}
