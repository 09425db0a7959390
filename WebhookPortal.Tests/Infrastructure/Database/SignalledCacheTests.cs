using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>The read-through cache behind the integrations list and publish's routes (issue 17).</summary>
public sealed class SignalledCacheTests
{
    private readonly RecordingClusterSignals signals = new();
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private int loads;

    private Task<string?> Load(string? value) { loads++; return Task.FromResult(value); }

    [Fact]
    public async Task A_value_is_loaded_once_then_kept_until_it_expires_a_change_here_or_another_portals_signal()
    {
        var cache = new SignalledCache<int, string>("topic", signals, clock, () => TimeSpan.FromSeconds(30));

        Assert.Equal("a", await cache.GetAsync(1, _ => Load("a")));
        Assert.Equal("a", await cache.GetAsync(1, _ => Load("b")));
        Assert.Equal(1, loads);

        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("b", await cache.GetAsync(1, _ => Load("b")));

        cache.Invalidate();
        Assert.Contains(("topic", "changed"), signals.Published);
        Assert.Equal(0, cache.Count);
        Assert.Equal("c", await cache.GetAsync(1, _ => Load("c")));

        signals.Subscribers["topic"].OnSignal("changed");
        Assert.Equal("d", await cache.GetAsync(1, _ => Load("d")));
        signals.Subscribers["topic"].OnReset();
        Assert.Equal("e", await cache.GetAsync(1, _ => Load("e")));
        Assert.Equal(5, loads);
    }

    [Fact]
    public async Task Nothing_found_a_load_that_raced_a_change_and_a_zero_duration_are_not_kept()
    {
        var cache = new SignalledCache<int, string>("topic", signals, clock, () => TimeSpan.FromSeconds(30));

        Assert.Null(await cache.GetAsync(1, _ => Load(null)));
        Assert.Equal(0, cache.Count);

        // The change commits while the load reads: its answer goes to its caller only.
        Assert.Equal("old", await cache.GetAsync(2, _ =>
        {
            cache.Invalidate();
            return Load("old");
        }));
        Assert.Equal(0, cache.Count);
        Assert.Equal("new", await cache.GetAsync(2, _ => Load("new")));
        Assert.Equal(1, cache.Count);

        var off = new SignalledCache<int, string>("other", signals, clock, () => TimeSpan.Zero);
        Assert.Equal("x", await off.GetAsync(1, _ => Load("x")));
        Assert.Equal(0, off.Count);
    }
}
