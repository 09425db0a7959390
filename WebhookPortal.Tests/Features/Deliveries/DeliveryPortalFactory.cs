using Microsoft.AspNetCore.Hosting;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A portal on real time with a fast retry policy, allowed to call 127.0.0.1 (the loopback receiver):
/// RetryInterval 1 s, connect and read timeouts 1 s each, 3 retries.
/// </summary>
public class DeliveryPortalFactory : PortalFactory
{
    public DeliveryPortalFactory()
    {
    }

    internal DeliveryPortalFactory(string directory, TimeSpan retryInterval)
        : base(directory)
    {
        RetryInterval = retryInterval;
    }

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    protected override bool UseFakeClock => false;

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        builder.UseSetting("Delivery:RetryInterval", RetryInterval.ToString());
        builder.UseSetting("Delivery:ConnectTimeout", "00:00:01");
        builder.UseSetting("Delivery:ReadTimeout", "00:00:01");
        builder.UseSetting("Delivery:MaxRetries", "3");
        builder.UseSetting("Outbound:AllowedHosts:0", "127.0.0.1");
    }
}
