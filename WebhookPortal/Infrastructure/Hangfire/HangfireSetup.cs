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
        var options = builder.Configuration.GetSection(HangfireOptions.Section).Get<HangfireOptions>() ?? new HangfireOptions();

        // Each host owns its storage instance instead of the static JobStorage.Current, so test hosts never share a queue.
        var connectionString = builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionStringName);
        builder.Services.AddSingleton<JobStorage>(_ => provider == DatabaseProvider.PostgreSql
            ? new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString!, new PostgreSqlStorageOptions()), new PostgreSqlStorageOptions
            {
                PrepareSchemaIfNecessary = true,
                EnableLongPolling = true,
                QueuePollInterval = options.QueuePollInterval,
            })
            : new InMemoryStorage(new InMemoryStorageOptions()));

        // JobActivator.Current is static too: give each host its own, resolving jobs from its own container.
        builder.Services.AddSingleton<JobActivator>(sp => new global::Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));

        builder.Services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        builder.Services.AddHangfireServer(o =>
        {
            o.SchedulePollingInterval = options.SchedulePollingInterval;
            o.WorkerCount = options.WorkerCount;
        });
    }

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
