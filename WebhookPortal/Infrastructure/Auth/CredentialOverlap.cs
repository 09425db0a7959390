using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// A rotated credential (a listener's token or signing secret, a webhook's signing secret) keeps the one it replaces
/// valid for an overlap, so the other side can switch without a refused request; only one previous credential is kept.
/// </summary>
public static class CredentialOverlap
{
    /// <summary>The longest overlap a rotation may ask for.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    /// <summary>The overlap asked for, else the configured default; refused (400, field "overlap") outside 0 to <see cref="Max"/>.</summary>
    public static TimeSpan Of(TimeSpan? asked, TimeSpan configured)
    {
        var keep = asked ?? configured;
        if (keep < TimeSpan.Zero || keep > Max)
        {
            throw new PortalValidationException("overlap", "The overlap is between 00:00:00 (none) and 30.00:00:00.");
        }

        return keep;
    }

    /// <summary>What the rotation keeps as the previous credential: the current one until <paramref name="now"/> + keep, or nothing.</summary>
    public static (T? Previous, DateTime? ExpiresUtc) Previous<T>(T? current, TimeSpan keep, DateTime now)
        where T : class =>
        keep > TimeSpan.Zero && current is not null ? (current, now + keep) : (null, null);
}
