using System.ComponentModel.DataAnnotations;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Infrastructure.Hangfire;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure;

/// <summary>
/// A portal of a cluster that dies (kill -9) while it holds one of Hangfire's locks must not stop the others' recurring
/// jobs for long: the delivery sweep that takes over its deliveries runs under such locks. With Hangfire.PostgreSql's
/// default of ten minutes, the cluster test saw 8 of 5,000 messages still undelivered five minutes after the kill.
/// </summary>
public sealed class HangfireStorageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_lock_row_left_by_a_portal_that_died_keeps_the_others_out_for_the_lock_timeout_only()
    {
        var storage = portal.Services.GetRequiredService<JobStorage>();
        if (!portal.OnPostgres)
        {
            // On SQLite the jobs live in this process's memory: its locks die with it, and no other portal shares them.
            Assert.IsType<InMemoryStorage>(storage);
            return;
        }

        // Lock rows as a killed portal leaves them (Hangfire prefixes the resource with its schema): one taken 90 s ago
        // (past the 1-minute default), one 10 s ago.
        var connectionString = portal.Services.GetRequiredService<IConfiguration>().GetConnectionString("Portal")!;
        await using (var db = new Npgsql.NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var insert = new Npgsql.NpgsqlCommand("INSERT INTO hangfire.lock (resource, acquired) VALUES ('hangfire:test:dead-portal-old', now() - interval '90 seconds'), ('hangfire:test:dead-portal-recent', now() - interval '10 seconds')", db);
            await insert.ExecuteNonQueryAsync();
        }

        using var connection = storage.GetConnection();
        using (connection.AcquireDistributedLock("test:dead-portal-old", TimeSpan.FromSeconds(5)))
        {
            // Taken over: the dead portal's job (the sweep, the schedulers) runs again here.
        }

        Assert.ThrowsAny<Exception>(() => connection.AcquireDistributedLock("test:dead-portal-recent", TimeSpan.FromSeconds(2)).Dispose());
        await using (var db = new Npgsql.NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var left = new Npgsql.NpgsqlCommand("SELECT resource FROM hangfire.lock WHERE resource LIKE 'hangfire:test:dead-portal-%'", db);
            Assert.Equal("hangfire:test:dead-portal-recent", await left.ExecuteScalarAsync());
        }
    }

    [Fact]
    public void The_postgresql_storage_gets_over_a_dead_portal_within_minutes_by_default()
    {
        var options = HangfireSetup.PostgreSqlStorageOptionsFrom(new HangfireOptions());

        Assert.Equal(TimeSpan.FromMinutes(1), options.DistributedLockTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), options.InvisibilityTimeout);
        Assert.True(options.UseSlidingInvisibilityTimeout);
        Assert.True(options.EnableLongPolling);
        Assert.Equal(TimeSpan.FromSeconds(5), options.QueuePollInterval);
    }

    [Fact]
    public void Configured_timeouts_reach_the_storage()
    {
        var options = HangfireSetup.PostgreSqlStorageOptionsFrom(new HangfireOptions
        {
            DistributedLockTimeout = TimeSpan.FromSeconds(45),
            InvisibilityTimeout = TimeSpan.FromMinutes(20),
            QueuePollInterval = TimeSpan.FromSeconds(2),
        });

        Assert.Equal(TimeSpan.FromSeconds(45), options.DistributedLockTimeout);
        Assert.Equal(TimeSpan.FromMinutes(20), options.InvisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.QueuePollInterval);
    }

    [Fact]
    public async Task The_server_runs_with_the_configured_worker_count()
    {
        await using var configured = new WorkerCountPortal(3);
        var storage = configured.Services.GetRequiredService<global::Hangfire.JobStorage>();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (storage.GetMonitoringApi().Servers().Count == 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        var server = Assert.Single(storage.GetMonitoringApi().Servers());
        Assert.Equal(3, server.WorkersCount);
    }

    private sealed class WorkerCountPortal(int workers) : PortalFactory
    {
        protected override void ConfigurePortal(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.UseSetting("Hangfire:WorkerCount", workers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [InlineData("00:00:10", "00:00:30", true)]
    [InlineData("01:00:00", "1.00:00:00", true)]
    [InlineData("00:00:09", "00:05:00", false)]
    [InlineData("01:00:01", "00:05:00", false)]
    [InlineData("00:01:00", "00:00:29", false)]
    [InlineData("00:01:00", "1.00:00:01", false)]
    public void Timeouts_out_of_range_are_refused(string lockTimeout, string invisibilityTimeout, bool valid)
    {
        var options = new HangfireOptions { DistributedLockTimeout = TimeSpan.Parse(lockTimeout), InvisibilityTimeout = TimeSpan.Parse(invisibilityTimeout) };

        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }
}
