namespace WebhookPortal.Infrastructure.Auth;

public static class PortalRoles
{
    public const string Admin = "Admin";
    public const string Support = "Support";

    public static readonly IReadOnlyList<string> All = [Admin, Support];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);

    /// <summary>Accepts any casing from API callers and returns the canonical name.</summary>
    public static string? Normalize(string? role) => All.FirstOrDefault(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));
}

public static class PortalPolicies
{
    /// <summary>Writes and secrets: administrators only.</summary>
    public const string Admin = "Admin";

    /// <summary>Reading: administrators and support staff.</summary>
    public const string Read = "Read";
}
