using System.ComponentModel.DataAnnotations;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Database;

namespace WebhookPortal.Infrastructure.Hangfire;

public sealed class HangfireOptions
{
    public const string Section = "Hangfire";

    /// <summary>How often scheduled jobs (retries) are picked up; Hangfire's 15 s default makes retries late.</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// PostgreSQL storage only: how long a worker waits for a job before asking the database again.
    /// New jobs are announced with LISTEN/NOTIFY (long polling), so this is a fallback; Hangfire.PostgreSql's
    /// own default of 15 s would hold every delivery up to that long.
    /// </summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public int WorkerCount { get; set; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>
    /// PostgreSQL storage only: how long a lock row a portal left behind when it died holding it (kill -9, power loss)
    /// keeps the other portals out. Hangfire.PostgreSql's locks are rows with no keep-alive, and its default of 10
    /// minutes stopped the recurring jobs (the delivery sweep that takes over a dead portal's deliveries) that long
    /// whenever a portal died inside the schedulers' or the sweep's lock. A run that holds its lock longer than this
    /// may meet a second run of the same job: every recurring job here deletes or hands over in small batches and
    /// can overlap safely, which [DisableConcurrentExecution] otherwise only avoids.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan DistributedLockTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// PostgreSQL storage only: how long a job fetched by a portal that then died stays invisible to the others. The
    /// running portal's heartbeat keeps extending it (a sliding timeout), so a long job is never fetched twice while
    /// its portal lives; Hangfire.PostgreSql's fixed default of 30 minutes held a dead portal's jobs that long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:30", "1.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Hangfire runs every background and delayed job. Its storage is InMemory by default (so it may lose
/// its queue at a restart: the portal's own tables are the source of truth) and PostgreSQL when the
/// portal runs on PostgreSQL, so several instances share it.
/// </summary>
public static class HangfireSetup
{
    public static void AddPortalHangfire(this WebApplicationBuilder builder, DatabaseProvider provider)
    {
        builder.Services.AddOptions<HangfireOptions>().BindConfiguration(HangfireOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Each host owns its storage instance instead of the static JobStorage.Current, so test hosts never share a queue.
        var connectionString = builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionStringName);
        builder.Services.AddSingleton<JobStorage>(sp =>
        {
            if (provider != DatabaseProvider.PostgreSql)
            {
                return new InMemoryStorage(new InMemoryStorageOptions());
            }

            var storageOptions = PostgreSqlStorageOptionsFrom(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HangfireOptions>>().Value);
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString!, storageOptions), storageOptions);
        });

        // JobActivator.Current is static too: give each host its own, resolving jobs from its own container.
        builder.Services.AddSingleton<JobActivator>(sp => new global::Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));

        builder.Services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        // The server's settings come from the same validated options as the storage's (read once, checked at start).
        builder.Services.AddHangfireServer((sp, o) =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HangfireOptions>>().Value;
            o.SchedulePollingInterval = options.SchedulePollingInterval;
            o.WorkerCount = options.WorkerCount;
        });
    }

    /// <summary>The PostgreSQL storage's settings: what a cluster needs to get over a portal that died (see <see cref="HangfireOptions"/>).</summary>
    public static PostgreSqlStorageOptions PostgreSqlStorageOptionsFrom(HangfireOptions options) => new()
    {
        PrepareSchemaIfNecessary = true,
        EnableLongPolling = true,
        QueuePollInterval = options.QueuePollInterval,
        DistributedLockTimeout = options.DistributedLockTimeout,
        InvisibilityTimeout = options.InvisibilityTimeout,
        UseSlidingInvisibilityTimeout = true,
    };

    public static void MapPortalHangfireDashboard(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboardWithAuthorizationPolicy(PortalPolicies.Admin, "/hangfire", new DashboardOptions
        {
            DashboardTitle = "WebhookPortal jobs",
            AppPath = "/",
            DisplayStorageConnectionString = false,
        });
    }
}
