using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Pages;
using WebhookPortal.Features.Listeners.Replays;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Listeners;

/// <summary>The listener's bulk replay: starting one (confirmed), its progress read from the database, the summary, and who sees it.</summary>
public sealed class BulkReplayPanelTests : PortalComponentTest
{
    private async Task<Guid> ListenerWithFailuresAsync(int failures)
    {
        await using var db = Database.CreateContext();
        var integration = new Integration { Id = Guid.NewGuid(), Name = "Int-" + Guid.NewGuid().ToString("N")[..6] };
        var listener = new Listener { Id = Guid.NewGuid(), IntegrationId = integration.Id, Name = "Orders", CreatedUtc = Clock.GetUtcNow().UtcDateTime, UpdatedUtc = Clock.GetUtcNow().UtcDateTime };
        db.Integrations.Add(integration);
        db.Listeners.Add(listener);
        for (var i = 0; i < failures; i++)
        {
            db.LogEntries.Add(new LogEntry
            {
                TimeUtc = Clock.GetUtcNow().UtcDateTime.AddMinutes(-10), Direction = LogDirection.Inbound, SourceId = listener.Id, IntegrationId = integration.Id,
                Name = "Orders", Method = "POST", Path = "/hooks/x", Status = 409, State = LogState.Error, RequestBody = "{\"id\":1}",
            });
        }

        await db.SaveChangesAsync();
        return listener.Id;
    }

    [Fact]
    public async Task Starting_asks_first_then_queues_the_job_and_shows_the_summary_when_it_ends()
    {
        SignInAsAdmin();
        var listenerId = await ListenerWithFailuresAsync(2);
        var cut = RenderWithProviders<BulkReplayPanel>((nameof(BulkReplayPanel.ListenerId), listenerId));

        cut.WaitForAssertion(() => cut.Find("[data-testid=start-bulk-replay]"));
        cut.Find("[data-testid=start-bulk-replay]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Replay the failed requests this listener received in the last 24 hours?", cut.Markup));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Replay" && b.GetAttribute("data-testid") is null).Click();

        cut.WaitForAssertion(() => Assert.Contains("Queued 0 of 2", cut.Find("[data-testid=bulk-replay-status]").TextContent));
        Assert.Contains(JobClient.Created, j => j.Job.Type == typeof(BulkReplays) && j.Job.Method.Name == nameof(BulkReplays.RunAsync));
        Assert.Contains("Replaying 2 failed requests.", cut.Markup);

        // The job's progress, as the page reads it from the database.
        await using (var db = Database.CreateContext())
        {
            await db.BulkReplays.ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, BulkReplayStatus.Running).SetProperty(r => r.Processed, 1).SetProperty(r => r.Succeeded, 1));
        }

        cut.WaitForAssertion(() => Assert.Contains("Replaying 1 of 2 · 1 succeeded · 0 failed", cut.Find("[data-testid=bulk-replay-status]").TextContent), TimeSpan.FromSeconds(5));

        await using (var db = Database.CreateContext())
        {
            await db.BulkReplays.ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, BulkReplayStatus.Completed).SetProperty(r => r.Processed, 2).SetProperty(r => r.Succeeded, 1)
                .SetProperty(r => r.Failed, 1).SetProperty(r => r.FinishedUtc, Clock.GetUtcNow().UtcDateTime));
        }

        cut.WaitForAssertion(() => Assert.Contains("1 succeeded, 1 failed", cut.Find("[data-testid=bulk-replay-summary]").TextContent), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Cancelling_the_confirmation_starts_nothing()
    {
        SignInAsAdmin();
        var listenerId = await ListenerWithFailuresAsync(1);
        var cut = RenderWithProviders<BulkReplayPanel>((nameof(BulkReplayPanel.ListenerId), listenerId));

        cut.WaitForAssertion(() => cut.Find("[data-testid=start-bulk-replay]"));
        cut.Find("[data-testid=start-bulk-replay]").Click();
        cut.WaitForAssertion(() => cut.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel"));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();

        Assert.Empty(JobClient.Created);
        await using var db = Database.CreateContext();
        Assert.Equal(0, await db.BulkReplays.CountAsync());
    }

    [Fact]
    public async Task A_running_replay_shows_its_progress_after_a_reload()
    {
        SignInAsSupport();
        var listenerId = await ListenerWithFailuresAsync(0);
        await using (var db = Database.CreateContext())
        {
            db.BulkReplays.Add(new BulkReplay
            {
                Id = Guid.NewGuid(), ListenerId = listenerId, State = "error", Status = BulkReplayStatus.Running, Total = 40, Processed = 10, Succeeded = 9, Failed = 1,
                RequestedBy = "admin@test.local", CreatedUtc = Clock.GetUtcNow().UtcDateTime, UpdatedUtc = Clock.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync();
        }

        var cut = RenderWithProviders<BulkReplayPanel>((nameof(BulkReplayPanel.ListenerId), listenerId));

        cut.WaitForAssertion(() => Assert.Contains("Replaying 10 of 40 · 9 succeeded · 1 failed", cut.Find("[data-testid=bulk-replay-status]").TextContent));
        Assert.True(cut.Find("[data-testid=start-bulk-replay]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Support_without_the_right_to_replay_sees_no_panel()
    {
        Services.Configure<WebhookPortal.Infrastructure.Auth.RoleOptions>(o => o.SupportMayRedeliver = false);
        SignInAsSupport();
        var listenerId = await ListenerWithFailuresAsync(1);

        var cut = RenderWithProviders<BulkReplayPanel>((nameof(BulkReplayPanel.ListenerId), listenerId));

        cut.WaitForState(() => true);
        Assert.Empty(cut.FindAll("[data-testid=bulk-replay]"));
    }
}
