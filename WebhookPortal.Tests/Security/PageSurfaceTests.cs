using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: pages versus API credentials. Pages (and the Hangfire dashboard and Scalar) know only the
/// sign-in cookie; Basic, API keys and job tokens open the API paths and nothing else.
/// </summary>
public sealed class PageSurfaceTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    public static TheoryData<string> ApiCredentials => new() { "Basic admin", "Admin API key", "Support API key", "Subscriber API key", "Job token" };

    [Theory]
    [MemberData(nameof(ApiCredentials))]
    public async Task No_page_renders_for_an_api_credential(string credential)
    {
        var listener = await portal.CreateListenerAsync(name: "Tickets-" + Guid.NewGuid().ToString("N")[..6]);
        var client = await ClientWithAsync(credential);

        var routes = PageRoutes(listener.Id).Concat(["/hangfire", "/scalar/"]).ToList();
        Assert.Contains($"/listeners/{listener.Id}", routes);
        foreach (var route in routes)
        {
            var response = await client.GetAsync(route);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{credential} on {route}: {(int)response.StatusCode}");
            Assert.StartsWith("/Account/Login", response.RedirectPath());
            Assert.DoesNotContain(listener.Name, body);
        }
    }

    [Fact]
    public async Task A_subscriber_key_does_not_render_the_listener_pages()
    {
        // As reported: Bearer <Subscriber key> on /listeners and /listeners/{id} answered 200 with the listener.
        var listener = await portal.CreateListenerAsync(name: "Seen-" + Guid.NewGuid().ToString("N")[..6]);
        var subscriber = await ClientWithAsync("Subscriber API key");

        foreach (var route in new[] { "/listeners", $"/listeners/{listener.Id}" })
        {
            var response = await subscriber.GetAsync(route);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/Account/Login", response.RedirectPath());
            Assert.DoesNotContain(listener.Name, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task With_the_cookie_each_role_sees_what_it_saw_before()
    {
        var listener = await portal.CreateListenerAsync(name: "Cookie-" + Guid.NewGuid().ToString("N")[..6]);
        await portal.EnsureUserAsync(PortalFactory.SupportEmail, PortalFactory.SupportPassword, PortalRoles.Support);
        var admin = await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var support = await portal.SignInWithCookieAsync(PortalFactory.SupportEmail, PortalFactory.SupportPassword);

        foreach (var route in new[] { "/listeners", $"/listeners/{listener.Id}" })
        {
            var asAdmin = await admin.GetAsync(route);
            Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
            Assert.Contains(listener.Name, await asAdmin.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await support.GetAsync(route)).StatusCode);
        }

        // Admin-only pages and tools stay closed to Support.
        var users = await support.GetAsync("/users");
        Assert.Equal(HttpStatusCode.Redirect, users.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", users.RedirectPath());
        // The dashboard answers 403 with the same "Access denied" page as every other closed page, not "Not found".
        var hangfire = await support.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Forbidden, hangfire.StatusCode);
        var deniedPage = await hangfire.Content.ReadAsStringAsync();
        Assert.Contains("Access denied", deniedPage);
        Assert.DoesNotContain("does not exist", deniedPage);
        Assert.Contains("Access denied", await (await support.GetAsync(users.RedirectPath()!)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/users")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await support.GetAsync("/scalar/")).StatusCode);

        // Anonymous: the login page.
        var anonymous = await portal.Anonymous().GetAsync($"/listeners/{listener.Id}");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/Account/Login", anonymous.RedirectPath());
    }

    [Fact]
    public async Task The_cookie_does_not_open_the_api_and_api_credentials_still_do()
    {
        var cookie = await portal.SignInWithCookieAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var before = await portal.WithDbAsync(db => Task.FromResult(db.Integrations.Count()));

        await (await cookie.GetAsync("/api/integrations")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await cookie.PostAsJsonAsync("/api/integrations", new { name = "Via-Cookie" })).AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(before, await portal.WithDbAsync(db => Task.FromResult(db.Integrations.Count())));

        await (await portal.AsAdmin().GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        await (await (await ClientWithAsync("Admin API key")).GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK);
        // The OpenAPI document is for tools (Basic, keys) and for the Scalar page in the browser (cookie).
        await (await portal.AsAdmin().GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        await (await cookie.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
    }

    /// <summary>Every Razor page that needs a signed-in user, with its route values filled in.</summary>
    private List<string> PageRoutes(Guid listenerId) =>
        portal.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(path => path is not "/Error" and not "/not-found")
            .Select(path => path.StartsWith("/listeners/", StringComparison.Ordinal) ? Regex.Replace(path, @"\{[^}]+\}", listenerId.ToString()) : Regex.Replace(path, @"\{[^}]+\}", Guid.NewGuid().ToString()))
            .Distinct()
            .ToList();

    private async Task<HttpClient> ClientWithAsync(string credential)
    {
        switch (credential)
        {
            case "Basic admin":
                return portal.AsAdmin();
            case "Job token":
                var key = await KeyAsync("Admin");
                var token = await (await portal.Anonymous().PostAsJsonAsync("/api/authenticate", new { api_key = key, username = PortalFactory.AdminEmail, password = PortalFactory.AdminPassword }))
                    .ReadJsonAsync(HttpStatusCode.OK);
                var client = portal.Anonymous();
                client.DefaultRequestHeaders.Add("token", token.GetProperty("token").GetString());
                return client;
            default:
                return portal.WithBearer(await KeyAsync(credential.Split(' ')[0]));
        }
    }

    private Task<string> KeyAsync(string role) => portal.CreateApiKeyAsync(role, "surface-" + role.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..6]);
}
