namespace WebhookPortal.Infrastructure.Scripting;

/// <summary>
/// Builds the script sandbox once the portal has started, on a background thread. Its first build in a process
/// compiles Jint's code paths and loads its time zones (about a second of CPU, more on a loaded machine); without this,
/// the first request that needed the sandbox (a listener's first record, a webhook's update) waited for it.
/// The host calls <see cref="StartedAsync"/> after its own start-up work (migrations, seeding, the listeners' cache).
/// </summary>
public sealed class ScriptWarmUp(IServiceProvider services, ILogger<ScriptWarmUp> logger) : IHostedLifecycleService
{
    private readonly TaskCompletionSource warmed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the sandbox is built (or its build failed, which is logged; a request then tries again).</summary>
    public Task Warmed => warmed.Task;

    /// <summary>The sandbox built at start (null until then, or if its build failed).</summary>
    public ScriptSandbox? Sandbox { get; private set; }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // Not awaited: the host's start (and its ApplicationStarted) does not wait for the sandbox.
        _ = Task.Run(Build, CancellationToken.None);
        return Task.CompletedTask;
    }

    // Shutting down while it builds: the host waits for it (up to its shutdown timeout) rather than disposing under it.
    public Task StopAsync(CancellationToken cancellationToken) =>
        warmed.Task.IsCompleted ? Task.CompletedTask : warmed.Task.WaitAsync(cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Build()
    {
        try
        {
            Sandbox = services.GetRequiredService<ScriptSandbox>();
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
}
