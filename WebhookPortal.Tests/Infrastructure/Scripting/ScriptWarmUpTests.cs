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
    public async Task The_build_starts_when_the_host_says_it_has_started_not_before()
    {
        var builds = 0;
        var provider = new ServiceCollection()
            .AddSingleton(_ => { Interlocked.Increment(ref builds); return portal.Services.GetRequiredService<ScriptSandbox>(); })
            .BuildServiceProvider();
        var warmUp = new ScriptWarmUp(provider, Microsoft.Extensions.Logging.Abstractions.NullLogger<ScriptWarmUp>.Instance);

        await warmUp.StartingAsync(CancellationToken.None);
        await warmUp.StartAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(warmUp.Warmed.IsCompleted);
        Assert.Equal(0, builds);

        await warmUp.StartedAsync(CancellationToken.None);
        await warmUp.Warmed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, builds);
        Assert.Same(portal.Services.GetRequiredService<ScriptSandbox>(), warmUp.Sandbox);
        await warmUp.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failed_build_is_logged_and_still_ends_the_wait()
    {
        var provider = new ServiceCollection().AddSingleton<ScriptSandbox>(_ => throw new InvalidOperationException("no sandbox")).BuildServiceProvider();
        var warmUp = new ScriptWarmUp(provider, Microsoft.Extensions.Logging.Abstractions.NullLogger<ScriptWarmUp>.Instance);

        await warmUp.StartedAsync(CancellationToken.None);
        await warmUp.Warmed.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Null(warmUp.Sandbox);
        await warmUp.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void The_warm_up_is_one_of_the_hosts_background_services()
    {
        var hosted = portal.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>();
        Assert.Contains(portal.Services.GetRequiredService<ScriptWarmUp>(), hosted);
    }
}
