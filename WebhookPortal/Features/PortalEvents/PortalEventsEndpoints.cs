using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.PortalEvents;

public static class PortalEventsEndpoints
{
    public static IEndpointRouteBuilder MapPortalEventsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/portal-events").WithTags("Portal events").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        group.MapGet("/", List).WithName("ListPortalEvents").WithSummary("List the portal's own events, newest first")
            .WithDescription("portal.webhook.failing and portal.webhook.disabled, optionally for one webhook, one integration or one type; limit 1 to 200 (default 50).");
        group.MapGet("/types", Types).WithName("ListPortalEventTypes").WithSummary("The portal's own event catalog")
            .WithDescription("Event types a webhook may list to receive them (they are not sent to webhooks that receive every event).");
        return app;
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<IReadOnlyList<PortalEventView>>> List(PortalEventService service, CancellationToken ct, Guid? webhookId = null, Guid? integrationId = null, string? type = null, int limit = 50) =>
        TypedResults.Ok(await service.ListAsync(webhookId, integrationId, type, limit, ct));

    private static Ok<IReadOnlyList<string>> Types() => TypedResults.Ok(PortalEventTypes.All);
}
