using Bunit;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class ListenerLogsTabTests : PortalComponentTest
{
    public ListenerLogsTabTests() => SignInAsSupport();

    [Fact]
    public async Task Each_request_links_to_its_entry_in_the_log_viewer_and_the_header_to_all_of_the_listeners_requests()
    {
        var listenerId = Guid.NewGuid();
        long entryId;
        await using (var db = Database.CreateContext())
        {
            var entry = new LogEntry
            {
                TimeUtc = new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, SourceId = listenerId,
                Name = "Orders & Co", Method = "POST", Path = "/hooks/a/b", Status = 422, State = LogState.Error, Error = "bad field",
            };
            db.LogEntries.Add(entry);
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, SourceId = Guid.NewGuid(),
                Name = "Another", Method = "POST", Path = "/hooks/c/d", Status = 200, State = LogState.Success,
            });
            await db.SaveChangesAsync();
            entryId = entry.Id;
        }

        var cut = RenderWithProviders<ListenerLogsTab>((nameof(ListenerLogsTab.ListenerId), listenerId), (nameof(ListenerLogsTab.ListenerName), "Orders & Co"));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=listener-logs] tbody tr")));
        Assert.Contains("bad field", cut.Find("[data-testid=listener-logs]").TextContent);
        Assert.Equal($"logs?entry={entryId}", cut.Find("[data-testid=log-entry-link]").GetAttribute("href"));
        Assert.Equal("logs?direction=inbound&name=Orders%20%26%20Co", cut.Find("[data-testid=open-in-logs]").GetAttribute("href"));
    }

    [Fact]
    public async Task Replays_duplicates_and_handshakes_say_what_they_are()
    {
        var listenerId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            LogEntry Entry(int status, string? note = null, bool duplicate = false, long? replayOf = null) => new()
            {
                TimeUtc = new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc), Direction = LogDirection.Inbound, SourceId = listenerId, Name = "L", Method = "POST",
                Path = "/hooks/a/b", Status = status, State = LogState.Success, Note = note, Duplicate = duplicate, ReplayOfId = replayOf,
            };
            db.LogEntries.AddRange(Entry(200, replayOf: 41), Entry(200, "Duplicate: X-GitHub-Delivery 'd-1' was accepted …", duplicate: true), Entry(200, "Handshake (hub challenge): answered with the challenge."));
            await db.SaveChangesAsync();
        }

        var cut = RenderWithProviders<ListenerLogsTab>((nameof(ListenerLogsTab.ListenerId), listenerId));

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=listener-logs] tbody tr").Count));
        Assert.Equal("logs?entry=41", cut.Find("[data-testid=replay-of]").GetAttribute("href"));
        Assert.Contains("Replay of #41", cut.Find("[data-testid=replay-of]").TextContent);
        Assert.Single(cut.FindAll("[data-testid=duplicate]"));
        Assert.Contains("Handshake (hub challenge)", cut.Find("[data-testid=listener-logs]").TextContent);
    }
}
