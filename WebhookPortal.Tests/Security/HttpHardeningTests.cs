using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// A portal whose test requests may say which address they come from (<c>X-Test-Remote-Address</c>), as a
/// reverse proxy's connection would; <see cref="KnownProxy"/> configures ReverseProxy:KnownProxies.
/// </summary>
public class RemoteAddressPortalFactory : PortalFactory
{
    public const string RemoteAddressHeader = "X-Test-Remote-Address";

    protected virtual string? KnownProxy => null;

    protected override void ConfigurePortal(IWebHostBuilder builder)
    {
        if (KnownProxy is { } proxy)
        {
            builder.UseSetting("ReverseProxy:KnownProxies:0", proxy);
        }

        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, RemoteAddressFilter>());
    }

    private sealed class RemoteAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(RemoteAddressHeader, out var address))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

public sealed class BehindProxyPortalFactory : RemoteAddressPortalFactory
{
    public const string Proxy = "10.0.0.5";

    protected override string? KnownProxy => Proxy;
}

/// <summary>
/// Trust boundary: the browser. Every response says nosniff; pages carry a Content-Security-Policy (no
/// framing, scripts only from the portal or with the page's nonce), JSON answers one that loads nothing, X-Frame-Options and Referrer-Policy;
/// HSTS only over HTTPS; forwarded headers only from a configured proxy; forms only with an antiforgery token.
/// </summary>
public sealed class HttpHardeningTests(RemoteAddressPortalFactory portal) : IClassFixture<RemoteAddressPortalFactory>
{
    private const string Hsts = "Strict-Transport-Security";

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    private static void AssertBaseHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
    }

    [Fact]
    public async Task A_page_has_the_security_headers_and_its_inline_scripts_carry_the_policys_nonce()
    {
        var response = await portal.Anonymous().GetAsync("/Account/Login");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertBaseHeaders(response);
        var csp = Header(response, "Content-Security-Policy");
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.DoesNotContain("'unsafe-inline'", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)));
        Assert.DoesNotContain("unsafe-eval", csp);
        var nonce = Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);

        // Every inline script of the page (the import map) has the nonce; the others load from the portal.
        var inline = Regex.Matches(html, "<script(?![^>]*\\bsrc=)([^>]*)>").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(inline);
        Assert.All(inline, attributes => Assert.Contains($"nonce=\"{nonce}\"", attributes));

        var again = Header(await portal.Anonymous().GetAsync("/Account/Login"), "Content-Security-Policy");
        Assert.DoesNotContain(nonce, again);
    }

    [Fact]
    public async Task Api_answers_and_refusals_have_nosniff_too()
    {
        var ok = await portal.AsAdmin().GetAsync("/api/integrations");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        AssertBaseHeaders(ok);

        var refused = await portal.Anonymous().GetAsync("/api/integrations");
        await refused.AssertProblemAsync(HttpStatusCode.Unauthorized);
        AssertBaseHeaders(refused);

        var notFound = await portal.AsAdmin().GetAsync($"/api/integrations/{Guid.NewGuid()}");
        await notFound.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("nosniff", Header(notFound, "X-Content-Type-Options"));
    }

    [Fact]
    public async Task Json_answers_carry_the_fixed_policy_that_loads_nothing_and_no_nonce()
    {
        var ok = await portal.AsAdmin().GetAsync("/api/integrations");
        var refused = await portal.Anonymous().GetAsync("/api/integrations");
        var listener = await portal.CreateListenerAsync();
        var received = await portal.Anonymous().SendAsync(ListenerFixtures.Json(HttpMethod.Post, listener.HookPath, """{"data":{"items":[{"id":1,"name":"x"}]}}"""));
        var unknownListener = await portal.Anonymous().SendAsync(ListenerFixtures.Json(HttpMethod.Post, $"/hooks/{Guid.NewGuid()}/{Guid.NewGuid()}", "{}"));

        await ok.ReadJsonAsync(HttpStatusCode.OK);
        await refused.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await received.ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(unknownListener.StatusCode is HttpStatusCode.NotFound, $"{unknownListener.StatusCode}");
        foreach (var response in new[] { ok, refused, received, unknownListener })
        {
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        }

        // A page still gets its own policy with a nonce.
        Assert.Matches("'nonce-[0-9A-F]{32}'", Header(await portal.Anonymous().GetAsync("/Account/Login"), "Content-Security-Policy"));
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("Application/JSON", true)]
    [InlineData("application/problem+json", true)]
    [InlineData("application/problem+json; charset=utf-8", true)]
    [InlineData("text/html; charset=utf-8", false)]
    [InlineData("text/javascript", false)]
    [InlineData("text/json", false)]
    [InlineData("application/jsonp", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData(null, false)]
    public void Only_json_answers_get_the_fixed_policy(string? contentType, bool json)
    {
        var context = new DefaultHttpContext();
        context.Response.ContentType = contentType;
        Assert.Equal(json, WebhookPortal.Infrastructure.Http.SecurityHeaders.IsJsonAnswer(context));

        // Once a page has drawn its nonce, its answer keeps the policy that names it, whatever its type.
        WebhookPortal.Infrastructure.Http.SecurityHeaders.Nonce(context);
        Assert.False(WebhookPortal.Infrastructure.Http.SecurityHeaders.IsJsonAnswer(context));
    }

    [Fact]
    public async Task Hsts_is_sent_over_https_only()
    {
        var https = portal.Anonymous();
        https.BaseAddress = new Uri("https://portal.test/");
        var overHttps = await https.GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.OK, overHttps.StatusCode);
        Assert.StartsWith("max-age=31536000", Header(overHttps, Hsts));

        var http = portal.Anonymous();
        http.BaseAddress = new Uri("http://portal.test/");
        Assert.Equal("", Header(await http.GetAsync("/Account/Login"), Hsts));
    }

    [Fact]
    public async Task Forwarded_headers_are_ignored_unless_a_proxy_is_configured_and_then_only_from_it()
    {
        static HttpRequestMessage Forwarded(string from)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "http://portal.test/Account/Login");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            request.Headers.Add(RemoteAddressPortalFactory.RemoteAddressHeader, from);
            return request;
        }

        // Not configured (the default): even a request from a private address cannot claim https.
        Assert.Equal("", Header(await portal.Anonymous().SendAsync(Forwarded(BehindProxyPortalFactory.Proxy)), Hsts));

        using var behindProxy = new BehindProxyPortalFactory();
        var client = behindProxy.Anonymous();
        var fromProxy = await client.SendAsync(Forwarded(BehindProxyPortalFactory.Proxy));
        Assert.Equal(HttpStatusCode.OK, fromProxy.StatusCode);
        Assert.StartsWith("max-age=", Header(fromProxy, Hsts));
        Assert.Equal("", Header(await client.SendAsync(Forwarded("10.0.0.6")), Hsts));
    }

    [Fact]
    public async Task The_login_page_form_carries_an_antiforgery_token()
    {
        var html = await (await portal.Anonymous().GetAsync("/Account/Login")).Content.ReadAsStringAsync();
        Assert.Matches("<input[^>]*name=\"__RequestVerificationToken\"[^>]*type=\"hidden\"|<input[^>]*type=\"hidden\"[^>]*name=\"__RequestVerificationToken\"", html);
    }

    [Theory]
    [InlineData("/Account/Login")]
    [InlineData("/Account/Logout")]
    public async Task A_form_post_without_the_antiforgery_token_is_refused_and_changes_nothing(string path)
    {
        var before = await portal.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == PortalFactory.AdminEmail));

        var response = await portal.Anonymous().PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.Email"] = PortalFactory.AdminEmail,
            ["Input.Password"] = "Wrong-Password-1",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie") && Header(response, "Set-Cookie").Contains(".AspNetCore.Identity", StringComparison.Ordinal));
        var after = await portal.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == PortalFactory.AdminEmail));
        Assert.Equal(before.AccessFailedCount, after.AccessFailedCount);
        Assert.Equal(before.LockoutEnd, after.LockoutEnd);
    }
}
