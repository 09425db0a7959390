using Bunit;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Deliveries.Pages;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>The redelivery progress bar: read from the job's deliveries while some are pending, then the summary; an unknown job says so.</summary>
public sealed class RedeliveryProgressTests : PortalComponentTest
{
    private async Task<(Guid JobId, List<Guid> Deliveries)> SeedAsync(params DeliveryState[] states)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var job = new Job { Id = Guid.NewGuid(), Kind = RedeliveryJobs.Kind, RequestedById = "u1", RequestedByName = "ann@test.local", Status = JobStatus.Running, CreatedUtc = now, StartedUtc = now };
        var message = new Message { Id = Guid.NewGuid(), EventType = "order.created", Payload = "{}", CreatedUtc = now };
        var deliveries = states.Select(state => new Delivery
        {
            Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = Guid.NewGuid(), TargetName = "crm", Url = "https://example.com/crm",
            State = state, NextAttemptUtc = now, CreatedUtc = now, UpdatedUtc = now, JobId = job.Id,
        }).ToList();
        await using var db = Database.CreateContext();
        db.Jobs.Add(job);
        db.Messages.Add(message);
        db.Deliveries.AddRange(deliveries);
        await db.SaveChangesAsync();
        return (job.Id, deliveries.Select(d => d.Id).ToList());
    }

    private async Task FinishAsync(Guid id, DeliveryState state)
    {
        await using var db = Database.CreateContext();
        await db.Deliveries.Where(d => d.Id == id).ExecuteUpdateAsync(s => s.SetProperty(d => d.State, state));
    }

    [Fact]
    public async Task The_bar_follows_the_deliveries_and_the_summary_replaces_it_when_the_last_one_finishes()
    {
        SignInAsSupport();
        var (jobId, ids) = await SeedAsync(DeliveryState.Delivered, DeliveryState.Pending, DeliveryState.Pending, DeliveryState.Held);
        var finished = 0;

        var cut = RenderWithProviders<RedeliveryProgress>((nameof(RedeliveryProgress.JobId), jobId),
            (nameof(RedeliveryProgress.Finished), Microsoft.AspNetCore.Components.EventCallback.Factory.Create(this, () => finished++)));

        cut.WaitForAssertion(() => Assert.Equal("1 of 4 delivered · 0 failed · 3 pending", cut.Find("[data-testid=redelivery-status]").TextContent.Trim()));
        Assert.Contains("25%", cut.Find("[data-testid=redelivery-progress]").TextContent);

        await FinishAsync(ids[1], DeliveryState.Failed);
        cut.WaitForAssertion(() => Assert.Equal("1 of 4 delivered · 1 failed · 2 pending", cut.Find("[data-testid=redelivery-status]").TextContent.Trim()), TimeSpan.FromSeconds(5));

        await FinishAsync(ids[2], DeliveryState.Delivered);
        await FinishAsync(ids[3], DeliveryState.Cancelled);
        cut.WaitForAssertion(() => Assert.Contains("4 deliveries sent again: 2 delivered, 1 failed, 1 cancelled.", cut.Find("[data-testid=redelivery-summary]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("[data-testid=redelivery-progress]"));
        cut.WaitForAssertion(() => Assert.Equal(1, finished));
        await using var db = Database.CreateContext();
        Assert.Equal(JobStatus.Succeeded, (await db.Jobs.SingleAsync(j => j.Id == jobId)).Status);
    }

    [Fact]
    public async Task A_finished_redelivery_shows_its_summary_at_once_and_closing_it_tells_the_page()
    {
        SignInAsAdmin();
        var (jobId, _) = await SeedAsync(DeliveryState.Delivered, DeliveryState.Delivered);
        var dismissed = false;

        var cut = RenderWithProviders<RedeliveryProgress>((nameof(RedeliveryProgress.JobId), jobId),
            (nameof(RedeliveryProgress.Dismissed), Microsoft.AspNetCore.Components.EventCallback.Factory.Create(this, () => dismissed = true)));

        cut.WaitForAssertion(() => Assert.Contains("2 deliveries sent again: 2 delivered, 0 failed.", cut.Find("[data-testid=redelivery-summary]").TextContent));
        cut.Find("[data-testid=redelivery-summary] button").Click();
        Assert.True(dismissed);
    }

    [Fact]
    public void An_unknown_redelivery_says_so()
    {
        SignInAsAdmin();

        var cut = RenderWithProviders<RedeliveryProgress>((nameof(RedeliveryProgress.JobId), Guid.NewGuid()));

        cut.WaitForAssertion(() => Assert.Contains("This redelivery is unknown", cut.Find("[data-testid=redelivery-error]").TextContent));
    }
}
