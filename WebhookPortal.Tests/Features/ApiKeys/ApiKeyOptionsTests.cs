using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.ApiKeys;

namespace WebhookPortal.Tests.Features.ApiKeys;

public sealed class ApiKeyOptionsTests
{
    private static ApiKeyOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddApiKeys();
        return services.BuildServiceProvider().GetRequiredService<IOptions<ApiKeyOptions>>().Value;
    }

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
