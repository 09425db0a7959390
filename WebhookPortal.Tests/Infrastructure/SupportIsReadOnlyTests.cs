using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure;

/// <summary>Every write endpoint of the API, discovered from the app's routes, refuses Support with 403.</summary>
public sealed class SupportIsReadOnlyTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private IEnumerable<(string Method, string Path)> WriteEndpoints()
    {
        var sources = portal.Services.GetServices<EndpointDataSource>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (!(pattern.StartsWith("/api/", StringComparison.Ordinal) || pattern.StartsWith("/v1/", StringComparison.Ordinal)))
            {
                continue;
            }

            // Open endpoints (authenticate, claim-checked downloads) and the backup export, which only reads
            // what the caller may see, are not writes of Support's.
            if (endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null || pattern.StartsWith("/api/backup", StringComparison.Ordinal))
            {
                continue;
            }

            // Redelivery (one, many, or a webhook's recovery), retry-now and replay are Support's work (SPEC: "Support may read and redeliver/replay").
            if (pattern.EndsWith("/redeliver", StringComparison.Ordinal) || pattern.EndsWith("/retry", StringComparison.Ordinal) || pattern.EndsWith("/replay", StringComparison.Ordinal)
                || pattern.EndsWith("/recover", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                if (method is "GET" or "HEAD" or "OPTIONS")
                {
                    continue;
                }

                // Route values that parse: a GUID, a number, a word.
                var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)(:(\w+))?\}", m => m.Groups[3].Value switch
                {
                    "guid" => Guid.NewGuid().ToString(),
                    "long" or "int" => "1",
                    _ => "some-value",
                });
                yield return (method, path);
            }
        }
    }

    [Fact]
    public async Task Every_write_endpoint_answers_403_to_support()
    {
        var support = await portal.AsSupportAsync();
        var endpoints = WriteEndpoints().ToList();
        // The discovery must see the API, or this test would prove nothing.
        Assert.Contains(endpoints, e => e.Method == "POST" && e.Path.TrimEnd('/') == "/api/integrations");
        Assert.Contains(endpoints, e => e.Method == "DELETE" && e.Path.StartsWith("/v1/mint/organizations/", StringComparison.Ordinal));
        Assert.Contains(endpoints, e => e.Method == "POST" && e.Path.EndsWith("/token", StringComparison.Ordinal));
        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} write endpoints found");

        foreach (var (method, path) in endpoints)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            var response = await support.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} answered {(int)response.StatusCode} to Support");
        }
    }

    [Fact]
    public async Task Secrets_are_refused_to_support()
    {
        var support = await portal.AsSupportAsync();
        await (await support.GetAsync($"/api/webhooks/{Guid.NewGuid()}/secret")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.GetAsync("/api/api-keys")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.GetAsync("/api/users")).AssertProblemAsync(HttpStatusCode.Forbidden);
    }
}
