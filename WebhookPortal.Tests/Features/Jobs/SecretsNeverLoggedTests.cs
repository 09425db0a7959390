using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Jobs;

/// <summary>A portal whose every log line, at every level the app emits, is kept for inspection.</summary>
public sealed class LogCapturingFactory : PortalFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder) =>
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new CapturingProvider(Lines));
        });

    private sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}

public sealed class SecretsNeverLoggedTests(LogCapturingFactory portal) : IClassFixture<LogCapturingFactory>
{
    [Fact]
    public async Task Neither_the_password_nor_the_api_key_appears_in_any_log_line_or_log_entry()
    {
        var key = (await (await portal.AsAdmin().PostAsJsonAsync("/api/api-keys", new { name = "k", role = "Admin" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;
        const string wrong = "Wrong-But-Secret-Pass-42";

        await (await portal.Anonymous().GetAsync($"/api/authenticate?api_key={Uri.EscapeDataString(key)}&username={PortalFactory.AdminEmail}&password={wrong}")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var ok = await portal.Anonymous().GetAsync($"/api/authenticate?api_key={Uri.EscapeDataString(key)}&username={PortalFactory.AdminEmail}&password={Uri.EscapeDataString(PortalFactory.AdminPassword)}");
        var token = (await ok.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        var client = portal.Anonymous();
        client.DefaultRequestHeaders.Add("token", token);
        await (await client.PostAsJsonAsync("/api/backup/owner", new { webhook_url = "https://10.1.2.3/x" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.NotEmpty(portal.Lines);
        foreach (var line in portal.Lines)
        {
            Assert.DoesNotContain(PortalFactory.AdminPassword, line);
            Assert.DoesNotContain(wrong, line);
            Assert.DoesNotContain(key, line);
            Assert.DoesNotContain(token, line);
        }

        var entries = await portal.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.LogEntries));
        Assert.All(entries, e => Assert.DoesNotContain(key, e.Path + e.RequestHeaders + e.RequestBody));
    }
}
