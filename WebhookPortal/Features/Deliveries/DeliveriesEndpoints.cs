using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Deliveries;

public static class DeliveriesEndpoints
{
    public static IEndpointRouteBuilder MapDeliveriesEndpoints(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/api/deliveries").WithTags("Deliveries").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        deliveries.MapGet("/", ListDeliveries).WithName("ListDeliveries")
            .WithSummary("List the newest deliveries")
            .WithDescription("At most 200, newest first. Filters: webhookId, state (pending, delivered, failed, cancelled, held), from and to (ISO 8601, on the creation time).");
        deliveries.MapGet("/{id:guid}", GetDelivery).WithName("GetDelivery").WithSummary("Get a delivery with its message and every attempt");
        // Support may redeliver too.
        deliveries.MapPost("/{id:guid}/redeliver", Redeliver).WithName("Redeliver")
            .WithSummary("Send a delivery's message again to the same target").WithDescription("A new delivery, attempted with retries; a pending delivery answers 409 (retry it instead).");
        deliveries.MapPost("/redeliver", RedeliverMany).WithName("RedeliverMany")
            .WithSummary("Redeliver many deliveries").WithDescription("{\"ids\": [...]} (1 to 500): each finished one is sent again, once per message; pending ones go on by themselves. "
                + "Answers 202 {\"count\": n queued, \"jobId\", \"status\"} with the Location of the redelivery's progress (GET /api/deliveries/redeliveries/{jobId}).")
            .WithBodyLimit(BodySize.Large); // 500 ids are about 20 KB
        deliveries.MapGet("/redeliveries/{jobId:guid}", GetRedelivery).WithName("GetRedelivery")
            .WithSummary("A bulk redelivery's or recovery's progress")
            .WithDescription("Counted from the deliveries it created: total, delivered, failed, pending (held included), cancelled, progress (the finished share, 0–100), status (running, then succeeded once none is pending) and, when done, a summary.");
        deliveries.MapPost("/{id:guid}/retry", RetryNow).WithName("RetryDelivery")
            .WithSummary("Attempt a pending delivery now").WithDescription("Its next attempt becomes due at once; a finished delivery answers 409 (redeliver it instead).");
        return app;
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<IReadOnlyList<DeliveryView>>> ListDeliveries(DeliveryService service, CancellationToken ct, Guid? webhookId = null, string? state = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        DeliveryState? wanted = null;
        if (state is not null)
        {
            wanted = StoredEnum<DeliveryState>.TryParse(state, out var parsed) ? parsed
                : throw new PortalValidationException("state", "The state is one of: " + string.Join(", ", Enum.GetValues<DeliveryState>().Select(s => s.ToText())) + ".");
        }

        var query = new DeliveryQuery(webhookId is null ? null : DeliveryTargetKind.Webhook, webhookId, wanted, from?.UtcDateTime, to?.UtcDateTime);
        return TypedResults.Ok((await service.SearchAsync(query, 1, 200, ct)).Items);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<DeliveryDetailView>> GetDelivery(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<DeliveryView>> Redeliver(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await service.RedeliverAsync(id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Accepted<BulkRedeliveryResponse>> RedeliverMany(BulkRedeliveryRequest request, DeliveryService service, CancellationToken ct)
    {
        var started = await service.RedeliverManyAsync(request.Ids ?? [], ct);
        return TypedResults.Accepted(RedeliveryJobs.PathOf(started.JobId), started);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<RedeliveryView>> GetRedelivery(Guid jobId, DeliveryService service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetRedeliveryAsync(jobId, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<DeliveryView>> RetryNow(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await service.RetryNowAsync(id, ct));
}
