using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure;

public sealed class PlatformTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Healthz_checks_the_database_and_is_open()
    {
        var response = await portal.Anonymous().GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApi_document_lists_every_api_endpoint()
    {
        var response = await portal.AsAdmin().GetAsync("/openapi/v1.json");
        var doc = await response.ReadJsonAsync(HttpStatusCode.OK);
        var paths = doc.GetProperty("paths");

        Assert.True(paths.TryGetProperty("/api/integrations", out var list));
        Assert.True(list.TryGetProperty("get", out _));
        Assert.True(list.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/integrations/{id}", out var one));
        Assert.True(one.TryGetProperty("put", out _));
        Assert.True(one.TryGetProperty("delete", out _));
        Assert.True(paths.TryGetProperty("/api/api-keys", out _));
        Assert.True(paths.TryGetProperty("/api/api-keys/{id}", out _));
    }

    [Fact]
    public async Task OpenApi_document_lists_every_route_of_the_api_the_seed_api_and_the_receiver()
    {
        var doc = await (await portal.AsAdmin().GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        var paths = doc.GetProperty("paths");
        var routes = portal.Services.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>().SelectMany(s => s.Endpoints)
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal) || r.Path.StartsWith("/v1/", StringComparison.Ordinal) || r.Path.StartsWith("/hooks/", StringComparison.Ordinal))
            .ToList();
        Assert.True(routes.Count > 40, $"only {routes.Count} routes found");

        var missing = new List<string>();
        foreach (var (path, methods) in routes)
        {
            // OpenAPI paths carry no route constraints: {id:guid} is {id}.
            var documented = System.Text.RegularExpressions.Regex.Replace(path, @"\{(\w+)(:[^}]+)?\}", "{$1}").TrimEnd('/');
            foreach (var method in methods)
            {
                if (!paths.TryGetProperty(documented, out var item) || !item.TryGetProperty(method.ToLowerInvariant(), out _))
                {
                    missing.Add($"{method} {documented}");
                }
            }
        }

        Assert.True(missing.Count == 0, "Not in the OpenAPI document: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Scalar_reference_is_served_to_signed_in_users()
    {
        // A page: the sign-in cookie opens it, API credentials do not.
        var browser = await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var response = await browser.GetAsync("/scalar/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("WebhookPortal API", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Pages_redirect_anonymous_users_to_the_login_page()
    {
        foreach (var path in new[] { "/", "/integrations" })
        {
            var response = await portal.Anonymous().GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/Account/Login", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task The_login_page_is_open_and_has_the_form()
    {
        var response = await portal.Anonymous().GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("name=\"Input.Email\"", html);
        Assert.Contains("__RequestVerificationToken", html);
    }

    [Fact]
    public async Task Hangfire_dashboard_is_for_admins_only()
    {
        var anonymous = await portal.Anonymous().GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/Account/Login", anonymous.Headers.Location?.OriginalString);

        await portal.EnsureUserAsync(PortalFactory.SupportEmail, PortalFactory.SupportPassword, PortalRoles.Support);
        var support = await (await portal.SignInWithCookieAsync(PortalFactory.SupportEmail, PortalFactory.SupportPassword)).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Forbidden, support.StatusCode);

        var admin = await (await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword)).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("WebhookPortal jobs", await admin.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_api_path_is_a_404_problem()
    {
        var response = await portal.AsAdmin().GetAsync("/api/does-not-exist");
        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Five_wrong_passwords_do_not_lock_the_account_for_its_owner()
    {
        // Wrong passwords are throttled per client address (Security/CredentialGuessingTests), never a lockout
        // that anyone who knows the address could trigger.
        const string email = "lockme@test.local";
        const string password = "Lock-Me-Pass-1";
        await portal.EnsureUserAsync(email, password, PortalRoles.Support);

        for (var i = 0; i < 5; i++)
        {
            await (await portal.WithBasic(email, "wrong-" + i).GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        await (await portal.WithBasic(email, password).GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);

        using var scope = portal.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email);
        Assert.Null(user!.LockoutEnd);
        Assert.Equal(0, user.AccessFailedCount);
    }

    [Fact]
    public async Task Roles_and_the_seeded_admin_exist()
    {
        using var scope = portal.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var admin = await users.FindByEmailAsync(PortalFactory.AdminEmail);
        Assert.NotNull(admin);
        Assert.True(await users.IsInRoleAsync(admin, PortalRoles.Admin));
        var roles = await scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>().Roles.Select(r => r.Name).ToListAsync();
        Assert.Equal(["Admin", "Support"], roles.Order().ToArray());
    }
}

public sealed class RestartTests
{
    [Fact]
    public async Task A_restart_keeps_data_and_neither_duplicates_nor_resets_the_seeded_admin()
    {
        var directory = Path.Combine(Path.GetTempPath(), "webhookportal-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using (var first = new PortalFactory(directory))
            {
                var created = await first.AsAdmin().PostAsync("/api/integrations", new StringContent("{\"name\":\"Survivor\"}", System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            // Same database, a different seed password: the existing admin must keep the old one.
            using var second = new PortalFactory(directory) { SeedPassword = "Other-Pass-9" };
            var list = await (await second.AsAdmin().GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Contains(list.EnumerateArray(), e => e.GetProperty("name").GetString() == "Survivor");
            await (await second.WithBasic(PortalFactory.AdminEmail, "Other-Pass-9").GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Equal(1, await second.WithDbAsync(db => db.Users.CountAsync(u => u.Email == PortalFactory.AdminEmail)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}

public sealed class OperatorConfigurationTests
{
    [Fact]
    public void The_operator_folder_is_the_repository_root_with_the_solution_and_appsettings()
    {
        var directory = WebhookPortal.Infrastructure.Configuration.OperatorConfiguration.FindDirectory();
        Assert.True(File.Exists(Path.Combine(directory, "WebhookPortal.sln")));
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "appsettings.json"))).RootElement;
        Assert.Equal("Sqlite", settings.GetProperty("Database").GetProperty("Provider").GetString());
    }

    [Fact]
    public void Relative_sqlite_paths_resolve_under_the_operator_folder()
    {
        var root = Path.Combine(Path.GetTempPath(), "op-" + Guid.NewGuid().ToString("N"));
        var resolved = WebhookPortal.Infrastructure.Database.DatabaseSetup.ResolveSqlite("Data Source=data/x.db", new WebhookPortal.Infrastructure.Configuration.OperatorDirectory(root));
        Assert.Contains(Path.Combine(root, "data", "x.db"), resolved);
        Assert.True(Directory.Exists(Path.Combine(root, "data")));
        Directory.Delete(root, recursive: true);
    }
}
