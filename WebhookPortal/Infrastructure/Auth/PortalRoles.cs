namespace WebhookPortal.Infrastructure.Auth;

public static class PortalRoles
{
    public const string Admin = "Admin";
    public const string Support = "Support";

    /// <summary>API keys of REST-hook clients: may only use /api/hooks/*, and see only their own subscriptions.</summary>
    public const string Subscriber = "Subscriber";

    /// <summary>Roles of portal users.</summary>
    public static readonly IReadOnlyList<string> All = [Admin, Support];

    /// <summary>Roles an API key may have.</summary>
    public static readonly IReadOnlyList<string> ApiKeyRoles = [Admin, Support, Subscriber];

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

    /// <summary>REST hooks, reading: Admin, Support and Subscriber keys.</summary>
    public const string Hooks = "Hooks";

    /// <summary>REST hooks, subscribing: Admin and Subscriber keys.</summary>
    public const string HooksWrite = "HooksWrite";
}
