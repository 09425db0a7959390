namespace WebhookPortal.Infrastructure.Scripting;

public static class ScriptingSetup
{
    /// <summary>The Jint sandbox that runs every listener, event and notification script, with its bounds.</summary>
    public static IServiceCollection AddScripting(this IServiceCollection services)
    {
        services.AddOptions<ScriptOptions>().BindConfiguration(ScriptOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ScriptWarmUp>();
        services.AddHostedService(provider => provider.GetRequiredService<ScriptWarmUp>());
        return services.AddSingleton<ScriptSandbox>();
    }
}
