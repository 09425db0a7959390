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
        var order = new List<int>();
        var first = await gate.EnterAsync();
        var second = Task.Run(async () =>
        {
            using (await gate.EnterAsync())
            {
                lock (order)
                {
                    order.Add(2);
                }
            }
        });
        await Task.Delay(100);
        var third = Task.Run(async () =>
        {
            using (await gate.EnterAsync())
            {
                lock (order)
                {
                    order.Add(3);
                }
            }
        });
        await Task.Delay(100);

        Assert.Empty(order); // both wait for the first writer's turn to end
        lock (order)
        {
            order.Add(1);
        }

        first.Dispose();
        await Task.WhenAll(second, third);
        Assert.Equal([1, 2, 3], order);
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
