using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>A delivery portal that keeps every log line with whether it carried an exception.</summary>
public sealed class LogCapturingDeliveryFactory : DeliveryPortalFactory
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Lines { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        base.ConfigurePortal(builder);
        builder.UseSetting("Delivery:MaxRetries", "1");
        builder.ConfigureLogging(logging => logging.AddProvider(new Capture(Lines)));
    }

    private sealed class Capture(ConcurrentQueue<(string, LogLevel, string, Exception?)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string, Exception?)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lines.Enqueue((category, logLevel, formatter(state, exception), exception));
                }
            }
        }
    }
}

/// <summary>Issue #20: an expected delivery failure (a receiver that is down) is one structured line per attempt, never a stack trace.</summary>
public sealed class DeliveryLoggingTests(LogCapturingDeliveryFactory portal) : IClassFixture<LogCapturingDeliveryFactory>
{
    [Fact]
    public async Task A_refused_connection_logs_one_line_per_attempt_without_a_stack_trace()
    {
        // A port nobody listens on: every attempt is refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var webhook = await portal.CreateWebhookAsync($"http://127.0.0.1:{port}/down");

        await portal.PublishAsync(webhook.IntegrationId);
        var delivery = await portal.WaitForDeliveryAsync(webhook.Id, DeliveryState.Failed);

        var id = delivery.Id.ToString();
        var lines = portal.Lines.Where(l => l.Message.Contains(id, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("attempt 1 failed: Connection failed:", lines[0].Message);
        Assert.Equal(LogLevel.Information, lines[0].Level);
        Assert.Contains("failed for good after attempt 2", lines[1].Message);
        Assert.Equal(LogLevel.Warning, lines[1].Level);
        Assert.All(portal.Lines, l => Assert.Null(l.Exception));
        Assert.DoesNotContain(portal.Lines, l => l.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
    }
}
