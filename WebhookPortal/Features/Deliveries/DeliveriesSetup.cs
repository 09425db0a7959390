using Hangfire;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Features.Deliveries;

public static class DeliveriesSetup
{
    public static IServiceCollection AddDeliveries(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ConnectTimeout > TimeSpan.Zero && o.ReadTimeout > TimeSpan.Zero && o.RetryInterval >= TimeSpan.Zero, "Delivery timeouts must be positive.")
            .Validate(o => RetrySchedule.TryParse(o.Schedule, o.MaxRetries, o.RetryInterval, out _, out _), "Delivery:Schedule must be 'seed', 'resilient' or a comma-separated list of delays (00:00:05,00:05:00).")
            .Validate(o => o.DisableAfter > TimeSpan.Zero && o.MaxRetryAfter >= TimeSpan.Zero, "Delivery:DisableAfter must be positive and Delivery:MaxRetryAfter not negative.")
            .Validate(o => o.LeaseMargin >= TimeSpan.FromSeconds(1), "Delivery:LeaseMargin must be at least 00:00:01: a lease shorter than the attempt and its record lets another instance send the delivery again.")
            .ValidateOnStart();
        services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.Section);

        // One named client for every outbound call: explicit connect timeout, and the URL guard on the resolved address.
        // The factory's request loggers write each refused connection with its stack trace at Information; a receiver
        // that is down is expected, so the worker logs one line per attempt outcome instead (DeliveryWorker.LogOutcome).
        services.AddHttpClient(DeliveryWorker.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(sp, TimeSpan.FromMinutes(2)))
            .RemoveAllLoggers();
        // The same without reuse: the one immediate second try after a connection died before any answer gets a fresh connection.
        services.AddHttpClient(DeliveryWorker.FreshConnectionClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(sp, TimeSpan.Zero))
            .RemoveAllLoggers();

        services.AddScoped<DeliveryOutbox>();
        services.AddScoped<DeliveryService>();
        services.AddScoped<DeliveryWorker>();
        // Before the dispatcher: hosted services stop in reverse order, so attempts still running at a stop can record their outcome.
        services.AddSingleton<AttemptRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<AttemptRecorder>());
        services.AddSingleton<DeliveryDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryDispatcher>());
        services.AddSingleton<PublishWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<PublishWriter>());
        services.AddScoped<DeliveryRetention>();
        services.AddHostedService<DeliverySweepAtStart>();
        return services;
    }

    private static SocketsHttpHandler CreateHandler(IServiceProvider sp, TimeSpan pooledConnectionLifetime)
    {
        var delivery = sp.GetRequiredService<IOptions<DeliveryOptions>>().Value;
        var outbound = sp.GetRequiredService<IOptions<OutboundOptions>>().Value;
        return new SocketsHttpHandler
        {
            ConnectTimeout = delivery.ConnectTimeout,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = pooledConnectionLifetime,
            // A proxy would make the guard check the proxy's address instead of the receiver's.
            UseProxy = false,
            ConnectCallback = async (context, ct) =>
            {
                var timer = AttemptTimer.Of(context.InitialRequestMessage);
                timer?.ConnectStarted();
                var stream = await UrlGuard.ConnectAsync(context.DnsEndPoint, outbound.AllowedHosts, ct);
                timer?.ConnectFinished();
                return stream;
            },
        };
    }

    public static WebApplication MapDeliveries(this WebApplication app)
    {
        app.MapDeliveriesEndpoints();
        app.Services.ScheduleDeliverySweep();
        return app;
    }

    public static void ScheduleDeliverySweep(this IServiceProvider services) =>
        services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<DeliveryOutbox>(DeliveryOutbox.SweepJobId, d => d.SweepAsync(CancellationToken.None), Cron.Minutely());
}

/// <summary>At start, hands every pending delivery back to Hangfire (its in-memory queue did not survive the restart).</summary>
internal sealed class DeliverySweepAtStart(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, ILogger<DeliverySweepAtStart> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var swept = await scope.ServiceProvider.GetRequiredService<DeliveryOutbox>().RescheduleAllPendingAsync();
                if (swept > 0)
                {
                    logger.LogInformation("Handed {Count} pending deliveries to Hangfire at start.", swept);
                }
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The start-up delivery sweep failed; the minutely sweep will retry.");
            }
        }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
