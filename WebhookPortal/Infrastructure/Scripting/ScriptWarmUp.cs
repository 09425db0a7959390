namespace WebhookPortal.Infrastructure.Scripting;

/// <summary>
/// Builds the script sandbox once the portal has started, on a background thread. Its first build in a process
/// compiles Jint's code paths and loads its time zones (about a second of CPU, more on a loaded machine); without this,
/// the first request that needed the sandbox (a listener's first record, a webhook's update) waited for it.
/// </summary>
public sealed class ScriptWarmUp(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<ScriptWarmUp> logger) : BackgroundService
{
    private readonly TaskCompletionSource warmed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the sandbox is built (or its build failed, which is logged; a request then tries again).</summary>
    public Task Warmed => warmed.Task;

    /// <summary>The sandbox built at start (null until then, or if its build failed).</summary>
    public ScriptSandbox? Sandbox { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // After the start: the host's own start-up work (migrations, seeding, the listeners' cache) goes first.
            await WhenStartedAsync(stoppingToken);
            Sandbox = await Task.Run(() => services.GetRequiredService<ScriptSandbox>(), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The script sandbox could not be built at start; the first script will build it.");
        }
        finally
        {
            warmed.TrySetResult();
        }
    }

    private async Task WhenStartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = ct.Register(() => started.TrySetCanceled(ct));
        await started.Task;
    }
}
