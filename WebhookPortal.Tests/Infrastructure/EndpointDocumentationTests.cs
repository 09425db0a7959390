using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure;

/// <summary>The OpenAPI page reads as documentation: every machine endpoint has a name and a summary.</summary>
public sealed class EndpointDocumentationTests
{
    [Fact]
    public async Task Every_api_endpoint_has_a_name_and_a_summary()
    {
        await using var portal = new PortalFactory();
        _ = portal.Server;
        var endpoints = portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } route && (route.StartsWith("/api/") || route.StartsWith("/v1/") || route.StartsWith("/hooks/")))
            .ToList();

        Assert.True(endpoints.Count > 50, $"only {endpoints.Count} API endpoints found");
        var undocumented = endpoints
            .Where(e => e.Metadata.GetMetadata<IEndpointSummaryMetadata>() is not { Summary.Length: > 0 } || e.Metadata.GetMetadata<IEndpointNameMetadata>() is null)
            .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])} {e.RoutePattern.RawText}")
            .ToList();
        Assert.True(undocumented.Count == 0, "Endpoints without a name or summary:\n" + string.Join("\n", undocumented));
    }
}
