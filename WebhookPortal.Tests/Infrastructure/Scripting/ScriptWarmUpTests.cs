using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Infrastructure.Scripting;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Scripting;

/// <summary>
/// The sandbox's first build compiles Jint (about a second of CPU): it happens once the portal has started, in the
/// background, not in the first request that needs a script.
/// </summary>
public sealed class ScriptWarmUpTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task The_sandbox_is_built_and_warm_after_start_without_any_request()
    {
        var warmUp = portal.Services.GetRequiredService<ScriptWarmUp>();

        await warmUp.Warmed.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotNull(warmUp.Sandbox);
        Assert.Same(portal.Services.GetRequiredService<ScriptSandbox>(), warmUp.Sandbox);
        Assert.True(ScriptSandbox.IsWarm);
    }

    [Fact]
    public void The_warm_up_is_one_of_the_hosts_background_services()
    {
        var hosted = portal.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>();
        Assert.Contains(portal.Services.GetRequiredService<ScriptWarmUp>(), hosted);
    }
}
