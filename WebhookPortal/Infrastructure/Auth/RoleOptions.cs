namespace WebhookPortal.Infrastructure.Auth;

/// <summary>What each role may do beyond its defaults (section <c>Roles</c>).</summary>
public sealed class RoleOptions
{
    public const string Section = "Roles";

    /// <summary>
    /// Support may redeliver a delivery, retry a pending one and replay an inbound request (each recorded with who did
    /// it); false leaves Support read-only. Administrators always may.
    /// </summary>
    public bool SupportMayRedeliver { get; set; } = true;
}
