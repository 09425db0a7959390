using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>A portal started on a folder with or without Seed:AdminPassword, keeping every warning it logs.</summary>
public sealed class FirstStartFactory : PortalFactory
{
    public FirstStartFactory(string directory, string seedPassword, bool ownsDirectory)
        : base(directory, ownsDirectory) => SeedPassword = seedPassword;

    public ConcurrentQueue<(string Category, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Warnings { get; } = new();

    protected override void ConfigurePortal(IWebHostBuilder builder) =>
        builder.ConfigureLogging(logging => logging.AddProvider(new WarningRecorder(Warnings)));

    public IEnumerable<string> OneTimePasswordsLogged() =>
        Warnings.SelectMany(w => w.State).Where(p => p.Key == "OneTimePassword").Select(p => (string)p.Value!);

    private sealed class WarningRecorder(ConcurrentQueue<(string, string, IReadOnlyList<KeyValuePair<string, object?>>)> warnings) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, warnings);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, string, IReadOnlyList<KeyValuePair<string, object?>>)> warnings) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    warnings.Enqueue((category, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
                }
            }
        }
    }
}

/// <summary>
/// Trust boundary: the first administrator. No install shares a default password: without Seed:AdminPassword the
/// portal generates a strong one-time password, prints it once, and lets it do nothing but choose a new one.
/// </summary>
public sealed class FirstAdminTests
{
    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Without_a_seed_password_a_strong_one_time_password_is_printed_once()
    {
        var directory = NewDirectory();
        string password;
        using (var first = new FirstStartFactory(directory, seedPassword: "", ownsDirectory: false))
        {
            _ = first.Services;
            password = Assert.Single(first.OneTimePasswordsLogged());
            var line = Assert.Single(first.Warnings, w => w.Message.Contains(password, StringComparison.Ordinal));
            Assert.Contains(PortalFactory.AdminEmail, line.Message);
            Assert.Contains("choose a new password", line.Message);
        }

        Assert.True(password.Length >= 20, password);
        Assert.Contains(password, char.IsUpper);
        Assert.Contains(password, char.IsLower);
        Assert.Contains(password, char.IsDigit);
        Assert.Contains(password, c => !char.IsLetterOrDigit(c));
        Assert.NotEqual("ChangeMe!2026", password);

        // A restart finds the administrator: no new password, nothing printed, still one account.
        using var restarted = new FirstStartFactory(directory, seedPassword: "", ownsDirectory: true);
        _ = restarted.Services;
        Assert.Empty(restarted.OneTimePasswordsLogged());
        Assert.Equal(1, await restarted.WithDbAsync(db => db.Users.CountAsync()));

        // Another install gets another password.
        using var other = new FirstStartFactory(NewDirectory(), seedPassword: "", ownsDirectory: true);
        _ = other.Services;
        Assert.NotEqual(password, Assert.Single(other.OneTimePasswordsLogged()));
    }

    [Fact]
    public async Task The_one_time_password_opens_only_the_change_password_page_and_works_once()
    {
        using var portal = new FirstStartFactory(NewDirectory(), seedPassword: "", ownsDirectory: true);
        _ = portal.Services;
        var oneTime = Assert.Single(portal.OneTimePasswordsLogged());

        // The API: 403 saying what to do, and nothing issued.
        var basic = await portal.WithBasic(PortalFactory.AdminEmail, oneTime).GetAsync("/api/integrations");
        Assert.Contains("new password", (await basic.AssertProblemAsync(HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
        var integrations = await portal.WithDbAsync(db => db.Integrations.CountAsync());
        await (await portal.WithBasic(PortalFactory.AdminEmail, oneTime).PostAsJsonAsync("/api/integrations", new { name = "Early" })).AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(integrations, await portal.WithDbAsync(db => db.Integrations.CountAsync()));

        // The pages: straight to the change-password page, and nowhere else until the password is changed.
        var browser = portal.CookieClient();
        var login = await browser.PostLoginFormAsync(PortalFactory.AdminEmail, oneTime);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(PasswordChange.PagePath, login.RedirectPath());
        var listeners = await browser.GetAsync("/listeners");
        Assert.Equal(HttpStatusCode.Redirect, listeners.StatusCode);
        Assert.Equal(PasswordChange.PagePath, listeners.RedirectPath());
        var hangfire = await browser.GetAsync("/hangfire");
        Assert.True(hangfire.StatusCode == HttpStatusCode.Forbidden, $"{hangfire.StatusCode} {hangfire.RedirectPath()}");
        var changePage = await browser.GetAsync(PasswordChange.PagePath);
        Assert.Equal(HttpStatusCode.OK, changePage.StatusCode);
        Assert.Contains("one-time password", await changePage.Content.ReadAsStringAsync());

        var changed = await browser.PostFormAsync(PasswordChange.PagePath, "change-password", new Dictionary<string, string>
        {
            ["Input.OldPassword"] = oneTime,
            ["Input.NewPassword"] = "Chosen-Admin-Pass-9",
            ["Input.ConfirmPassword"] = "Chosen-Admin-Pass-9",
        });
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/listeners")).StatusCode);
        await (await portal.WithBasic(PortalFactory.AdminEmail, "Chosen-Admin-Pass-9").GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await (await portal.WithBasic(PortalFactory.AdminEmail, oneTime).GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(0, await portal.WithDbAsync(db => db.UserClaims.CountAsync(c => c.ClaimType == PasswordChange.RequiredClaim)));
    }

    [Fact]
    public async Task Authenticate_refuses_a_one_time_password_with_403_and_issues_no_token()
    {
        using var portal = new FirstStartFactory(NewDirectory(), seedPassword: "", ownsDirectory: true);
        _ = portal.Services;
        var oneTime = Assert.Single(portal.OneTimePasswordsLogged());
        // The admin cannot use the API yet, so the key comes from a second administrator.
        await portal.EnsureUserAsync("second-admin@test.local", "Second-Admin-Pass-1", PortalRoles.Admin);
        var key = (await (await portal.WithBasic("second-admin@test.local", "Second-Admin-Pass-1").PostAsJsonAsync("/api/api-keys", new { name = "first-start", role = "Admin" }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("key").GetString()!;

        var response = await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = PortalFactory.AdminEmail, password = oneTime });
        Assert.Contains("new password", (await response.AssertProblemAsync(HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
        Assert.Equal(0, await portal.WithDbAsync(db => db.JobTokens.CountAsync()));
    }

    [Fact]
    public async Task With_a_seed_password_the_admin_signs_in_as_before_and_nothing_is_printed()
    {
        using var portal = new FirstStartFactory(NewDirectory(), seedPassword: PortalFactory.AdminPassword, ownsDirectory: true);
        await (await portal.AsAdmin().GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        var browser = await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/listeners")).StatusCode);
        Assert.Empty(portal.OneTimePasswordsLogged());
        Assert.Equal(0, await portal.WithDbAsync(db => db.UserClaims.CountAsync()));
    }

    [Fact]
    public void The_operator_settings_ship_no_shared_password()
    {
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(OperatorConfiguration.FindDirectory(), "appsettings.json"))).RootElement;
        Assert.False(settings.GetProperty("Seed").TryGetProperty("AdminPassword", out _));
    }
}
