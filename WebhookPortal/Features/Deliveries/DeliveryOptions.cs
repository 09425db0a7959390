using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Deliveries;

public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Time allowed for the answer once connected.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(3);

    [Range(0, 100)]
    public int MaxRetries { get; set; } = 3;

    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Bytes of the receiver's answer kept with each attempt.</summary>
    [Range(0, 1_048_576)]
    public int MaxResponseBodyBytes { get; set; } = 4096;

    public string UserAgent { get; set; } = "WebhookPortal/1.0";
}
