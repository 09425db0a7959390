using Microsoft.Extensions.Options;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>Delivery:LeaseMargin: how long a claim outlives its attempts' timeouts; too short a lease lets another instance send a delivery again.</summary>
public sealed class DeliveryOptionsTests
{
    private static DeliveryOptions Bind(params (string Key, string Value)[] settings) => OptionsBinding.Bind<DeliveryOptions>(services => services.AddDeliveries(), settings);

    [Fact]
    public void The_lease_margin_defaults_to_30_seconds_and_can_be_set()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Bind().LeaseMargin);
        Assert.Equal(TimeSpan.FromSeconds(5), Bind(("Delivery:LeaseMargin", "00:00:05")).LeaseMargin);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.500")]
    [InlineData("-00:00:01")]
    public void A_lease_margin_under_a_second_is_refused_with_its_name(string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(("Delivery:LeaseMargin", value)));
        Assert.Contains("Delivery:LeaseMargin", error.Message);
    }
}
