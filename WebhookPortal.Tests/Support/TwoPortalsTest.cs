namespace WebhookPortal.Tests.Support;

/// <summary>
/// Two portals on one database, as behind a load balancer: the second factory opens the first one's folder, so it
/// uses the same SQLite file or PostgreSQL database. Each test class gets a fresh pair.
/// </summary>
public abstract class TwoPortalsTest<TFactory>(Func<TFactory> createFirst, Func<string, TFactory> createSecond) : IAsyncLifetime
    where TFactory : PortalFactory
{
    protected TFactory First { get; } = createFirst();

    protected TFactory Second { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Second = createSecond(First.Directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Second.DisposeAsync();
        await First.DisposeAsync();
    }
}
