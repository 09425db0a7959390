using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure;

public sealed class RecurringJobsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public void Every_recurring_job_runs_on_one_portal_at_a_time()
    {
        _ = portal.Services;
        using var connection = portal.Services.GetRequiredService<JobStorage>().GetConnection();
        var jobs = connection.GetRecurringJobs();

        // Retention, the delivery and event sweeps and the job-file cleanup: with several portals on one PostgreSQL
        // database, Hangfire starts each occurrence once, and this lock keeps a long run from overlapping the next.
        Assert.True(jobs.Count >= 4, string.Join(", ", jobs.Select(j => j.Id)));
        Assert.All(jobs, job => Assert.True(
            job.Job.Method.GetCustomAttributes(typeof(DisableConcurrentExecutionAttribute), inherit: true).Length == 1,
            $"{job.Id} ({job.Job.Type.Name}.{job.Job.Method.Name}) has no [DisableConcurrentExecution]"));
    }
}
