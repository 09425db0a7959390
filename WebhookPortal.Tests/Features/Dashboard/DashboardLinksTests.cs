using WebhookPortal.Features.Dashboard;
using WebhookPortal.Features.Dashboard.Pages;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Logs;

namespace WebhookPortal.Tests.Features.Dashboard;

/// <summary>The dashboard's links open the filtered lists: the window's start, and its end as an inclusive bound.</summary>
public sealed class DashboardLinksTests
{
    private static readonly DateTime From = new(2026, 11, 22, 13, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime To = new(2026, 11, 23, 13, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Log_links_carry_direction_name_state_and_the_window()
    {
        Assert.Equal("logs?direction=inbound&name=crm%20orders&state=error&from=2026-11-22T13%3A00%3A00Z&to=2026-11-23T12%3A59%3A59.9999999Z",
            DashboardLinks.Logs(LogDirection.Inbound, "crm orders", LogState.Error, From, To));
        Assert.Equal("logs?direction=outbound&from=2026-11-22T13%3A00%3A00Z&to=2026-11-23T12%3A59%3A59.9999999Z", DashboardLinks.Logs(LogDirection.Outbound, null, null, From, To));
        Assert.Equal("logs?entry=42", DashboardLinks.LogEntry(42));
    }

    [Fact]
    public void Delivery_links_carry_webhook_state_and_the_window()
    {
        var id = Guid.Parse("5f0c1e2a-1111-2222-3333-444455556666");
        Assert.Equal("deliveries?webhookId=5f0c1e2a-1111-2222-3333-444455556666&state=failed&from=2026-11-22T13%3A00%3A00Z&to=2026-11-23T12%3A59%3A59.9999999Z",
            DashboardLinks.Deliveries(id, DeliveryState.Failed, From, To));
        Assert.Equal("deliveries?state=pending", DashboardLinks.Deliveries(null, DeliveryState.Pending, null, null));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(9, 5)]
    [InlineData(40, 10)]
    [InlineData(70, 20)]
    [InlineData(1234, 500)]
    public void Chart_ticks_are_round_steps(long max, int step) => Assert.Equal(step, DashboardPage.NiceStep(max));

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(42 * 60, "42 min")]
    [InlineData(3 * 3600 + 5 * 60, "3 h 5 min")]
    [InlineData(2 * 86400 + 4 * 3600, "2 d 4 h")]
    public void Ages_read_as_people_say_them(int seconds, string text) => Assert.Equal(text, DashboardPage.Age(TimeSpan.FromSeconds(seconds)));
}
