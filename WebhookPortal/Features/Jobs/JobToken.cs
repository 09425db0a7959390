namespace WebhookPortal.Features.Jobs;

/// <summary>A short-lived token from /api/authenticate (docs/compatibility.md#async-jobs), stored as a hash.</summary>
public sealed class JobToken
{
    public Guid Id { get; set; }

    public required byte[] TokenHash { get; set; }

    public required string UserId { get; set; }

    public required string UserName { get; set; }

    public required string Role { get; set; }

    public DateTime ExpiresUtc { get; set; }
}
