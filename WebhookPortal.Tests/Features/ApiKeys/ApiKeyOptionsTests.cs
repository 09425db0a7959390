using Microsoft.Extensions.Options;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.ApiKeys;

public sealed class ApiKeyOptionsTests
{
    private static ApiKeyOptions Bind(params (string Key, string Value)[] settings) => OptionsBinding.Bind<ApiKeyOptions>(services => services.AddApiKeys(), settings);

    [Fact]
    public void The_defaults_remember_a_key_30_seconds_and_write_last_use_every_15()
    {
        var options = Bind();
        Assert.Equal(TimeSpan.FromSeconds(30), options.CacheDuration);
        Assert.Equal(TimeSpan.FromSeconds(15), options.LastUsedFlushInterval);
        Assert.Equal(TimeSpan.Zero, Bind(("ApiKeys:CacheDuration", "00:00:00")).CacheDuration); // the cache off
    }

    [Theory]
    [InlineData("ApiKeys:CacheDuration", "-00:00:01")]
    [InlineData("ApiKeys:CacheDuration", "00:11:00")]
    [InlineData("ApiKeys:LastUsedFlushInterval", "00:00:00")]
    [InlineData("ApiKeys:LastUsedFlushInterval", "00:02:00")]
    public void Out_of_range_settings_are_refused_with_their_name(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind((key, value)));
        Assert.Contains(key, error.Message);
    }
}
