using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Auth;

/// <summary>
/// The Basic handler is built for every API and listener request. A request without a Basic header, or with one
/// already verified, is answered without the user manager, whose graph rented a database context per request
/// (issue 17, listener ingest).
/// </summary>
public sealed class BasicAuthenticationHandlerTests
{
    [Fact]
    public async Task No_header_and_a_cached_credential_need_no_user_manager_and_a_new_one_does()
    {
        var cache = new BasicCredentialCache(new MemoryCache(new MemoryCacheOptions()), Options.Create(new SessionOptions()), new RecordingClusterSignals(), TimeProvider.System);
        using var throttle = new CredentialThrottle(Options.Create(new CredentialRateLimitOptions()), new MemoryCache(new MemoryCacheOptions()));
        // Request services without Identity: resolving the user manager would throw.
        await using var services = new ServiceCollection().BuildServiceProvider();

        var none = await AuthenticateAsync(cache, throttle, services, header: null);
        Assert.True(none.None);

        var key = BasicCredentialCache.KeyOf("someone@example.com", "Right-Pass-1");
        cache.Remember(key, new BasicCredentialCache.Entry("user-1", cache.Generation, [new Claim(ClaimTypes.Name, "someone@example.com"), new Claim(ClaimTypes.Role, "Admin")]));
        var cached = await AuthenticateAsync(cache, throttle, services, Basic("someone@example.com", "Right-Pass-1"));
        Assert.True(cached.Succeeded);
        Assert.Equal("someone@example.com", cached.Principal!.Identity!.Name);
        Assert.True(cached.Principal.IsInRole("Admin"));

        // A credential not verified yet is checked against the users: only then is the user manager asked for.
        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthenticateAsync(cache, throttle, services, Basic("someone@example.com", "Other-Pass-2")));
        Assert.Contains("UserManager", unknown.Message, StringComparison.Ordinal);
    }

    private static string Basic(string email, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{password}"));

    private static async Task<AuthenticateResult> AuthenticateAsync(BasicCredentialCache cache, CredentialThrottle throttle, IServiceProvider services, string? header)
    {
        var handler = new BasicAuthenticationHandler(new FixedOptions(), NullLoggerFactory.Instance, UrlEncoder.Default, throttle, cache);
        var http = new DefaultHttpContext { RequestServices = services };
        if (header is not null)
        {
            http.Request.Headers.Authorization = header;
        }

        await handler.InitializeAsync(new AuthenticationScheme(BasicAuthenticationHandler.SchemeName, null, typeof(BasicAuthenticationHandler)), http);
        return await handler.AuthenticateAsync();
    }

    private sealed class FixedOptions : IOptionsMonitor<AuthenticationSchemeOptions>
    {
        public AuthenticationSchemeOptions CurrentValue { get; } = new();

        public AuthenticationSchemeOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<AuthenticationSchemeOptions, string?> listener) => null;
    }
}
