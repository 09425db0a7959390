using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>
/// The group-commit writers take turns at SQLite's write lock in process (first come, first served) instead of meeting
/// at SQLite's busy handler, where the publish writer lost to the attempt recorder for up to a second (issue 17, publish).
/// </summary>
public sealed class WriteGateTests
{
    [Fact]
    public async Task Writers_take_turns_in_the_order_they_came()
    {
        var gate = new WriteGate(takesTurns: true);
        var first = await gate.EnterAsync();
        var second = gate.EnterAsync().AsTask(); // each waits in line from this call on
        var third = gate.EnterAsync().AsTask();
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        first.Dispose();
        var secondTurn = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(third.IsCompleted); // the second writer's turn is not over

        secondTurn.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        using var again = await gate.EnterAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); // free again (else this times out)
    }

    [Fact]
    public async Task On_PostgreSQL_writers_do_not_wait_for_each_other()
    {
        var gate = new WriteGate(takesTurns: false);
        using var first = await gate.EnterAsync();
        var second = gate.EnterAsync().AsTask();
        Assert.True(second.IsCompleted);
        (await second).Dispose();
    }

    [Fact]
    public void The_portal_on_SQLite_has_its_writers_take_turns()
    {
        using var portal = new PortalFactory();
        Assert.Equal(PortalFactory.PostgresServer is null, portal.Services.GetRequiredService<WriteGate>().TakesTurns);
    }
}
