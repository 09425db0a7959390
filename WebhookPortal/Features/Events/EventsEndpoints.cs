using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Events;

public static class EventsEndpoints
{
    public static IEndpointRouteBuilder MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        var byIntegration = app.MapGroup("/api/integrations/{integrationId:guid}/event-types").WithTags("Event types").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Large);
        byIntegration.MapGet("/", List).WithName("ListEventTypes").WithSummary("List an integration's event types");
        byIntegration.MapPost("/", Create).WithName("CreateEventType").WithSummary("Create an event type").WithDescription("Data tracking (record changes of a listener) or scripted (a script run on a schedule or on demand).").RequireAuthorization(PortalPolicies.Admin);

        var types = app.MapGroup("/api/event-types").WithTags("Event types").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Large);
        types.MapGet("/", ListAll).WithName("ListAllEventTypes").WithSummary("List every event type");
        types.MapGet("/{id:guid}", Get).WithName("GetEventType").WithSummary("Get an event type");
        types.MapPut("/{id:guid}", Update).WithName("UpdateEventType").WithSummary("Change an event type").Accepts<EventTypeRequest>("application/json").RequireAuthorization(PortalPolicies.Admin);
        types.MapDelete("/{id:guid}", Delete).WithName("DeleteEventType").WithSummary("Delete an event type with its subscriptions").RequireAuthorization(PortalPolicies.Admin);
        types.MapPost("/{id:guid}/test", Test).WithName("TestEventType").WithSummary("Run an event type's script on a sample without sending anything").RequireAuthorization(PortalPolicies.Admin);

        // Zapier-style REST hooks (subscribe and perform-list: docs/compatibility.md#rest-hooks).
        var hooks = app.MapGroup("/api/hooks").WithTags("REST hooks").WithBodyLimit(BodySize.Small);
        hooks.MapGet("/subscriptions", Subscriptions).WithName("ListSubscriptions").WithSummary("List the caller's REST-hook subscriptions").WithDescription("docs/compatibility.md#rest-hooks").RequireAuthorization(PortalPolicies.Hooks);
        hooks.MapPost("/subscriptions", Subscribe).WithName("Subscribe").WithSummary("Subscribe a URL to an event type (REST hooks)").WithDescription("The answer carries the subscription id and its signing secret, shown once; a 410 Gone from the URL unsubscribes it.").RequireAuthorization(PortalPolicies.HooksWrite);
        hooks.MapDelete("/subscriptions/{id:guid}", Unsubscribe).WithName("Unsubscribe").WithSummary("Remove a REST-hook subscription").RequireAuthorization(PortalPolicies.HooksWrite);
        hooks.MapGet("/perform-list", PerformList).WithName("PerformList").WithSummary("Sample payloads of an event type (REST hooks perform-list)").RequireAuthorization(PortalPolicies.Hooks)
            .RequireRateLimiting(PerformListRateLimit.PolicyName);
        return app;
    }

    private static async Task<Ok<IReadOnlyList<EventTypeView>>> List(Guid integrationId, EventTypeCatalog events, CancellationToken ct) => TypedResults.Ok(await events.ListAsync(integrationId, ct));

    private static async Task<Ok<IReadOnlyList<EventTypeView>>> ListAll(EventTypeCatalog events, CancellationToken ct) => TypedResults.Ok(await events.ListAsync(null, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Created<EventTypeView>> Create(Guid integrationId, EventTypeRequest input, EventTypeCatalog events, CancellationToken ct)
    {
        var created = await events.CreateAsync(integrationId, input, ct);
        return TypedResults.Created($"/api/event-types/{created.Id}", created);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<EventTypeView>> Get(Guid id, EventTypeCatalog events, CancellationToken ct) => TypedResults.Ok(await events.GetAsync(id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Ok<EventTypeView>> Update(Guid id, JsonElement body, EventTypeCatalog events, CancellationToken ct) =>
        TypedResults.Ok(await events.UpdateAsync(id, Infrastructure.Http.UpdateBody.Read<EventTypeRequest>(body), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Delete(Guid id, EventTypeCatalog events, CancellationToken ct)
    {
        await events.DeleteAsync(id, ct);
        return TypedResults.NoContent();
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Ok<EventTestResponse>> Test(Guid id, HttpRequest request, EventTypeCatalog events, CancellationToken ct)
    {
        EventTestRequest body = new(null, null);
        if (request.HasJsonContentType() && request.ContentLength != 0)
        {
            body = await request.ReadFromJsonAsync<EventTestRequest>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct) ?? body;
        }

        return TypedResults.Ok(await events.TestAsync(id, body, ct));
    }

    private static async Task<Ok<IReadOnlyList<SubscriptionView>>> Subscriptions(SubscriptionService subscriptions, ClaimsPrincipal user, CancellationToken ct, Guid? eventTypeId = null) =>
        TypedResults.Ok(await subscriptions.SubscriptionsAsync(user, eventTypeId, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Created<SubscribeResponse>> Subscribe(SubscribeRequest request, SubscriptionService subscriptions, ClaimsPrincipal user, CancellationToken ct)
    {
        var created = await subscriptions.SubscribeAsync(user, request, ct);
        return TypedResults.Created($"/api/hooks/subscriptions/{created.Id}", created);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Unsubscribe(Guid id, SubscriptionService subscriptions, ClaimsPrincipal user, CancellationToken ct)
    {
        await subscriptions.UnsubscribeAsync(user, id, ct);
        return TypedResults.NoContent();
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<IReadOnlyList<JsonElement>>> PerformList(SubscriptionService subscriptions, ClaimsPrincipal user, CancellationToken ct, string? @event = null, Guid? integrationId = null) =>
        TypedResults.Ok(await subscriptions.PerformListAsync(user, @event, integrationId, ct));
}
