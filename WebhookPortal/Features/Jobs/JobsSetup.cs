using Hangfire;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Auth;

namespace WebhookPortal.Features.Jobs;

public static class JobsSetup
{
    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<JobService>();
        services.AddScoped<JobTokens>();
        services.AddScoped<BackupJob>();
        services.AddScoped<JobFileCleanup>();
        services.AddScoped<Deliveries.IDeliveryTarget, JobCallbackDeliveryTarget>();
        services.AddHostedService<JobRecoveryAtStart>();
        // The job token (a token header or Bearer wpt_…) is asked before the API key, whose Bearer test it would also pass.
        services.AddApiCredentialScheme<JobTokenAuthenticationHandler>(JobTokenAuthenticationHandler.SchemeName,
            request => JobTokenAuthenticationHandler.Presented(request) is not null, order: 0, documentToo: false);
        return services;
    }

    public static WebApplication MapJobs(this WebApplication app)
    {
        app.MapJobsEndpoints();
        app.Services.ScheduleJobFileCleanup();
        return app;
    }

    /// <summary>Registers the cleanup with Hangfire (recurring jobs live in Hangfire's storage, so this runs at every start).</summary>
    public static void ScheduleJobFileCleanup(this IServiceProvider services) =>
        services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<JobFileCleanup>(JobFileCleanup.RecurringJobId, c => c.RunAsync(CancellationToken.None), services.GetRequiredService<IOptions<JobOptions>>().Value.CleanupCron);
}
