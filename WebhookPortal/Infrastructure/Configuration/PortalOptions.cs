using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Infrastructure.Configuration;

/// <summary>Top-level settings of the portal (root of appsettings.json).</summary>
public sealed class PortalOptions
{
    /// <summary>The address Systems of Record use to reach the portal; listener URLs start with it.</summary>
    [Required]
    [Url]
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";
}
