using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Infrastructure.Auth;

/// <summary>
/// <c>Security:RateLimit</c>: how many credential checks (login page, Basic on the API, /api/authenticate) a
/// client address and an account may fail. The per-address limit trips first, so one client can never
/// shut an account's owner out; failed passwords do not lock accounts (only an administrator does).
/// </summary>
public sealed class CredentialRateLimitOptions
{
    public const string Section = "Security:RateLimit";

    /// <summary>The window every count below is kept for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed checks one client address may make per window, whatever the accounts.</summary>
    [Range(1, 10_000)]
    public int FailuresPerAddress { get; set; } = 5;

    /// <summary>
    /// Failed checks per account per window from all addresses; past it, addresses that already failed
    /// for the account are refused while an address with no failure (the owner's) still gets through.
    /// </summary>
    [Range(1, 100_000)]
    public int FailuresPerAccount { get; set; } = 20;

    /// <summary>Requests to the login form and /api/authenticate per client address per window, right or wrong.</summary>
    [Range(1, 100_000)]
    public int AttemptsPerAddress { get; set; } = 100;

    /// <summary>Password checks of one address wait in line (one at a time); past this many waiting, 429.</summary>
    [Range(0, 10_000)]
    public int QueuedChecksPerAddress { get; set; } = 50;
}

/// <summary><c>Security:Sessions</c>: how soon a changed user (role, lock, password) loses what it had.</summary>
public sealed class SessionOptions
{
    public const string Section = "Security:Sessions";

    /// <summary>Cookies and interactive circuits re-check the user's security stamp this often.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A verified Basic credential skips the password hash for this long (until the stamp changes).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan BasicCacheDuration { get; set; } = TimeSpan.FromMinutes(1);
}
