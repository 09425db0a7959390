using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Tests.Support;

/// <summary>Binds a feature's options from the given settings through the feature's own registration (binding and validation as at start-up).</summary>
public static class OptionsBinding
{
    public static TOptions Bind<TOptions>(Action<IServiceCollection> register, params (string Key, string Value)[] settings)
        where TOptions : class
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        register(services);
        return services.BuildServiceProvider().GetRequiredService<IOptions<TOptions>>().Value;
    }
}
