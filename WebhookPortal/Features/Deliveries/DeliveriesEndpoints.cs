using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Deliveries;

public static class DeliveriesEndpoints
{
    public static IEndpointRouteBuilder MapDeliveriesEndpoints(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/api/deliveries").WithTags("Deliveries").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        deliveries.MapGet("/", ListDeliveries).WithName("ListDeliveries")
            .WithSummary("List the newest deliveries").WithDescription("With webhookId, only that webhook's deliveries (at most 200).");
        deliveries.MapGet("/{id:guid}", GetDelivery).WithName("GetDelivery").WithSummary("Get a delivery with its message and every attempt");
        // Support may redeliver too.
        deliveries.MapPost("/{id:guid}/redeliver", Redeliver).WithName("Redeliver")
            .WithSummary("Send a delivery's message again to the same target").WithDescription("A new delivery, attempted with retries; a pending delivery answers 409 (retry it instead).");
        deliveries.MapPost("/redeliver", RedeliverMany).WithName("RedeliverMany")
            .WithSummary("Redeliver many deliveries").WithDescription("{\"ids\": [...]} (1 to 500): each finished one is sent again, once per message; pending ones go on by themselves. Answers {\"count\": n} queued.")
            .WithBodyLimit(BodySize.Large); // 500 ids are about 20 KB
        deliveries.MapPost("/{id:guid}/retry", RetryNow).WithName("RetryDelivery")
            .WithSummary("Attempt a pending delivery now").WithDescription("Its next attempt becomes due at once; a finished delivery answers 409 (redeliver it instead).");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<DeliveryView>>> ListDeliveries(DeliveryService service, CancellationToken ct, Guid? webhookId = null) =>
        TypedResults.Ok(await service.ListAsync(webhookId is null ? null : DeliveryTargetKind.Webhook, webhookId, 200, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<DeliveryDetailView>> GetDelivery(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<DeliveryView>> Redeliver(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await service.RedeliverAsync(id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Accepted<BulkRedeliveryResponse>> RedeliverMany(BulkRedeliveryRequest request, DeliveryService service, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, new BulkRedeliveryResponse(await service.RedeliverManyAsync(request.Ids ?? [], ct)));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<DeliveryView>> RetryNow(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await service.RetryNowAsync(id, ct));
}
