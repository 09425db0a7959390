using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Webhooks;

public sealed record SecretAnswer(string Secret);

public sealed record PublishRequest(string? EventType, JsonElement? Payload);

public sealed record PublishAnswer(Guid Id);

public static class WebhooksEndpoints
{
    public static IEndpointRouteBuilder MapWebhooksEndpoints(this IEndpointRouteBuilder app)
    {
        // Seed 003's API, unchanged: /v1/mint/organizations/{org}/webhooks with {org} = the integration's name.
        var mint = app.MapGroup("/v1/mint/organizations/{org}/webhooks").WithTags("Webhooks (seed API)").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        mint.MapGet("/", List).WithName("ListWebhooks");
        mint.MapGet("/{id:guid}", Get).WithName("GetWebhook");
        mint.MapPost("/", Create).WithName("CreateWebhook").RequireAuthorization(PortalPolicies.Admin);
        mint.MapPut("/{id:guid}", Update).WithName("UpdateWebhook").RequireAuthorization(PortalPolicies.Admin);
        mint.MapPost("/{id:guid}", SetEnabled).WithName("EnableWebhook").RequireAuthorization(PortalPolicies.Admin);
        mint.MapDelete("/{id:guid}", Delete).WithName("DeleteWebhook").RequireAuthorization(PortalPolicies.Admin);

        var webhooks = app.MapGroup("/api/webhooks").WithTags("Webhooks").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        webhooks.MapGet("/", ListAll).WithName("ListAllWebhooks");
        webhooks.MapGet("/{id:guid}/secret", GetSecret).WithName("GetWebhookSecret").RequireAuthorization(PortalPolicies.Admin);
        webhooks.MapPost("/{id:guid}/secret/rotate", RotateSecret).WithName("RotateWebhookSecret").RequireAuthorization(PortalPolicies.Admin);

        app.MapPost("/api/integrations/{id:guid}/messages", Publish).WithTags("Messages").WithName("PublishMessage").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Large);

        var deliveries = app.MapGroup("/api/deliveries").WithTags("Deliveries").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        deliveries.MapGet("/", ListDeliveries).WithName("ListDeliveries");
        deliveries.MapGet("/{id:guid}", GetDelivery).WithName("GetDelivery");
        deliveries.MapPost("/{id:guid}/redeliver", Redeliver).WithName("Redeliver"); // Support may redeliver too
        return app;
    }

    private static async Task<Ok<WebhookList>> List(string org, WebhookService service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(org, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<WebhookView>> Get(string org, Guid id, WebhookService service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(org, id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Created<WebhookView>> Create(string org, JsonElement body, WebhookService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var integration = await service.FindOrgAsync(org, ct);
        var created = await service.CreateAsync(integration.Id, WebhookInput.Parse(body), user.Identity?.Name, ct);
        return TypedResults.Created($"/v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks/{created.Id}", created);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<WebhookView>> Update(string org, Guid id, JsonElement body, WebhookService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var integration = await service.FindOrgAsync(org, ct);
        return TypedResults.Ok(await service.UpdateAsync(integration.Id, id, WebhookInput.Parse(body), user.Identity?.Name, ct));
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<WebhookView>> SetEnabled(string org, Guid id, JsonElement body, WebhookService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var integration = await service.FindOrgAsync(org, ct);
        var input = WebhookInput.Parse(body);
        if (input.Enabled is null)
        {
            throw new Infrastructure.Errors.PortalValidationException("enabled", "Send {\"enabled\": \"true\"} or {\"enabled\": \"false\"}.");
        }

        return TypedResults.Ok(await service.UpdateAsync(integration.Id, id, input, user.Identity?.Name, ct));
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<NoContent> Delete(string org, Guid id, WebhookService service, CancellationToken ct, bool forceDelete = true)
    {
        var integration = await service.FindOrgAsync(org, ct);
        await service.DeleteAsync(integration.Id, id, forceDelete, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<WebhookView>>> ListAll(WebhookService service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAllAsync(ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<SecretAnswer>> GetSecret(Guid id, WebhookService service, CancellationToken ct) =>
        TypedResults.Ok(new SecretAnswer(await service.GetSecretAsync(id, ct)));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<SecretAnswer>> RotateSecret(Guid id, WebhookService service, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(new SecretAnswer(await service.RotateSecretAsync(id, user.Identity?.Name, ct)));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Accepted<PublishAnswer>> Publish(Guid id, PublishRequest request, WebhookService service, CancellationToken ct)
    {
        var message = await service.PublishAsync(id, request.EventType, request.Payload, ct);
        return TypedResults.Accepted((string?)null, new PublishAnswer(message.Id));
    }

    private static async Task<Ok<IReadOnlyList<DeliveryView>>> ListDeliveries(DeliveryService service, CancellationToken ct, Guid? webhookId = null) =>
        TypedResults.Ok(await service.ListAsync(webhookId is null ? null : DeliveryTargets.Webhook, webhookId, 200, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<DeliveryDetail>> GetDelivery(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<DeliveryView>> Redeliver(Guid id, DeliveryService service, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await service.RedeliverAsync(id, ct));
}
