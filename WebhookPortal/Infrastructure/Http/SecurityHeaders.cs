using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Http;

/// <summary>Response headers that keep the pages from being framed, sniffed or leaking their URLs.</summary>
public sealed class SecurityHeadersOptions
{
    public const string Section = "SecurityHeaders";

    /// <summary>No-referrer: portal URLs carry ids and download keys, and nothing in the portal reads the Referer.</summary>
    [Required]
    public string ReferrerPolicy { get; set; } = "no-referrer";

    /// <summary>Strict-Transport-Security max-age, sent on HTTPS responses outside Development.</summary>
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);

    public bool HstsIncludeSubDomains { get; set; }
}

/// <summary>
/// Running behind a reverse proxy: X-Forwarded-For and X-Forwarded-Proto are honoured only from these proxies
/// (addresses) or networks (CIDR). Off when both are empty, so nobody can fake their address or scheme.
/// </summary>
public sealed class ReverseProxyOptions
{
    public const string Section = "ReverseProxy";

    public List<string> KnownProxies { get; set; } = [];

    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in front of the portal may each add an entry.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    internal bool IsValid() =>
        KnownProxies.All(p => IPAddress.TryParse(p.Trim(), out _)) && KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n.Trim(), out _));
}

public static class SecurityHeaders
{
    private const string NonceKey = "WebhookPortal.CspNonce";

    /// <summary>The per-request nonce that the page's own inline scripts (the import map, Monaco's paths) carry.</summary>
    public static string Nonce(HttpContext context)
    {
        if (context.Items[NonceKey] is not string nonce)
        {
            // Hex: no character that HTML attribute encoding would change (base64's + and / would be).
            nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    /// <summary>
    /// The Content-Security-Policy of the portal's pages. Blazor Server needs its websocket ('self' covers ws/wss
    /// to the same host), MudBlazor sets inline styles, Monaco injects styles and starts its workers from blob:
    /// URLs; no page needs inline scripts beyond the nonce'd ones, nor eval.
    /// </summary>
    public static string ContentSecurityPolicy(string nonce) =>
        "default-src 'self'; " +
        $"script-src 'self' 'nonce-{nonce}'; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data: blob:; " +
        "font-src 'self' data:; " +
        "connect-src 'self'; " +
        "worker-src 'self' blob:; " +
        "object-src 'none'; " +
        "base-uri 'self'; " +
        "form-action 'self'; " +
        "frame-ancestors 'none'";

    /// <summary>
    /// The policy of a JSON answer (the API, the listeners' answers, problem details): it is never a document, so it
    /// may load and run nothing at all. It carries no nonce, so the API and the receiver draw no random bytes per answer
    /// (issue 17: the nonce was ~2 % of ingest's CPU).
    /// </summary>
    public const string JsonContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// JSON (application/json, application/problem+json, any +json) and no page already holding a nonce: the fixed policy.
    /// Everything else (pages, scripts a worker may start from, files) keeps the pages' policy.
    /// </summary>
    internal static bool IsJsonAnswer(HttpContext context)
    {
        if (context.Items.ContainsKey(NonceKey) || context.Response.ContentType is not { } type)
        {
            return false;
        }

        var media = type.AsSpan();
        if (media.IndexOf(';') is var parameters and >= 0)
        {
            media = media[..parameters];
        }

        media = media.Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    public static IServiceCollection AddSecurityHeaders(this IServiceCollection services)
    {
        services.AddOptions<SecurityHeadersOptions>().BindConfiguration(SecurityHeadersOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.IsValid(), "ReverseProxy:KnownProxies must be IP addresses and ReverseProxy:KnownNetworks CIDR networks (10.0.0.0/8).")
            .ValidateOnStart();
        services.AddOptions<Microsoft.AspNetCore.HttpsPolicy.HstsOptions>().Configure<IOptions<SecurityHeadersOptions>>((hsts, options) =>
        {
            hsts.MaxAge = options.Value.HstsMaxAge;
            hsts.IncludeSubDomains = options.Value.HstsIncludeSubDomains;
        });
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((forwarded, options) =>
        {
            var proxy = options.Value;
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = proxy.ForwardLimit;
            // Only the configured proxies, not the framework's default of loopback.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var address in proxy.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(address.Trim()));
            }

            foreach (var network in proxy.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network.Trim()));
            }
        });
        return services;
    }

    /// <summary>
    /// First in the pipeline: forwarded headers (when configured), the security headers on every response (error
    /// and not-found pages included), and HSTS on HTTPS outside Development.
    /// </summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.Enabled)
        {
            app.UseForwardedHeaders();
        }

        var referrerPolicy = app.Services.GetRequiredService<IOptions<SecurityHeadersOptions>>().Value.ReferrerPolicy;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = referrerPolicy;
                // Scalar's API reference page starts itself with an inline script the portal cannot sign: it keeps
                // the framing protection but not the pages' script policy. (Hangfire's dashboard works under it.)
                headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/scalar")
                    ? "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
                    : IsJsonAnswer(context) ? JsonContentSecurityPolicy : ContentSecurityPolicy(Nonce(context));

                return Task.CompletedTask;
            });
            return next(context);
        });

        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        return app;
    }
}
