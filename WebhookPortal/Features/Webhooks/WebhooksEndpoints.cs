using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Webhooks;

public static class WebhooksEndpoints
{
    public static IEndpointRouteBuilder MapWebhooksEndpoints(this IEndpointRouteBuilder app)
    {
        // The mint webhooks API (docs/compatibility.md#mint-webhooks-api), unchanged: /v1/mint/organizations/{org}/webhooks with {org} = the integration's name.
        var mint = app.MapGroup("/v1/mint/organizations/{org}/webhooks").WithTags("Webhooks (seed API)").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        mint.MapGet("/", List).WithName("ListWebhooks").WithSummary("List an organization's webhooks (mint webhooks API)");
        mint.MapGet("/{id:guid}", Get).WithName("GetWebhook").WithSummary("Get a webhook (mint webhooks API)");
        mint.MapPost("/", Create).WithName("CreateWebhook").WithSummary("Create a webhook (mint webhooks API)").WithDescription("The signing secret is generated and shown once in the answer; see docs/compatibility.md#mint-webhooks-api.").RequireAuthorization(PortalPolicies.Admin);
        mint.MapPut("/{id:guid}", Update).WithName("UpdateWebhook").WithSummary("Change a webhook (mint webhooks API)").RequireAuthorization(PortalPolicies.Admin);
        mint.MapPost("/{id:guid}", SetEnabled).WithName("EnableWebhook").WithSummary("Enable or disable a webhook (mint webhooks API)").RequireAuthorization(PortalPolicies.Admin);
        mint.MapDelete("/{id:guid}", Delete).WithName("DeleteWebhook").WithSummary("Delete a webhook (mint webhooks API)").RequireAuthorization(PortalPolicies.Admin);

        var webhooks = app.MapGroup("/api/webhooks").WithTags("Webhooks").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        webhooks.MapGet("/", ListAll).WithName("ListAllWebhooks").WithSummary("List every webhook");
        // Support may recover too (Roles:SupportMayRedeliver).
        webhooks.MapPost("/{id:guid}/recover", Recover).WithName("RecoverWebhook").WithSummary("Send every message that failed since a time again")
            .WithDescription("{\"since\": \"<ISO 8601>\"}: each message whose delivery to this webhook failed since then is delivered again (once, keeping its webhook-id). Answers 202 {\"count\": n, \"jobId\", \"status\"}; GET /api/deliveries/redeliveries/{jobId} (the Location) follows their progress.");
        webhooks.MapGet("/{id:guid}/secret", GetSecret).WithName("GetWebhookSecret").WithSummary("Reveal a webhook's signing secret (Admin)").RequireAuthorization(PortalPolicies.Admin);
        webhooks.MapPost("/{id:guid}/secret/rotate", RotateSecret).WithName("RotateWebhookSecret").WithSummary("Rotate a webhook's signing secret")
            .WithDescription("The new secret is shown once in the answer. The previous one keeps signing beside it (two signatures in webhook-signature) for {\"overlap\": \"hh:mm:ss\"}, Delivery:SecretOverlap when left out, none with 00:00:00; previousSecretExpires says until when.").RequireAuthorization(PortalPolicies.Admin);
        webhooks.MapPost("/{id:guid}/secret/expire-previous", ExpirePreviousSecret).WithName("ExpirePreviousWebhookSecret").WithSummary("End a rotation's overlap now")
            .WithDescription("The previous secret stops signing at once.").RequireAuthorization(PortalPolicies.Admin);

        app.MapPost("/api/integrations/{id:guid}/messages", Publish).WithTags("Messages").WithName("PublishMessage").WithSummary("Publish a message to the integration's webhooks").WithDescription("The message and one delivery per subscribed webhook are stored before 202 is answered; the deliveries are then attempted with retries.").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Large);

        return app;
    }

    private static async Task<Ok<WebhookListResponse>> List(string org, WebhookCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(org, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<WebhookView>> Get(string org, Guid id, WebhookCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(org, id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Created<WebhookView>> Create(string org, JsonElement body, WebhookCatalog service, ClaimsPrincipal user, CancellationToken ct)
    {
        var integration = await service.FindOrgAsync(org, ct);
        var created = await service.CreateAsync(integration.Id, WebhookRequest.Parse(body), user.Identity?.Name, ct);
        return TypedResults.Created($"/v1/mint/organizations/{Uri.EscapeDataString(org)}/webhooks/{created.Id}", created);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<WebhookView>> Update(string org, Guid id, JsonElement body, WebhookCatalog service, ClaimsPrincipal user, CancellationToken ct)
    {
        var integration = await service.FindOrgAsync(org, ct);
        return TypedResults.Ok(await service.UpdateAsync(integration.Id, id, WebhookRequest.Parse(body), user.Identity?.Name, ct));
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<WebhookView>> SetEnabled(string org, Guid id, JsonElement body, WebhookCatalog service, ClaimsPrincipal user, CancellationToken ct)
    {
        var integration = await service.FindOrgAsync(org, ct);
        var input = WebhookRequest.Parse(body);
        if (input.Enabled is null)
        {
            throw new Infrastructure.Errors.PortalValidationException("enabled", "Send {\"enabled\": \"true\"} or {\"enabled\": \"false\"}.");
        }

        return TypedResults.Ok(await service.UpdateAsync(integration.Id, id, input, user.Identity?.Name, ct));
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<NoContent> Delete(string org, Guid id, WebhookCatalog service, CancellationToken ct, bool forceDelete = true)
    {
        var integration = await service.FindOrgAsync(org, ct);
        await service.DeleteAsync(integration.Id, id, forceDelete, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<WebhookView>>> ListAll(WebhookCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAllAsync(ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<SecretResponse>> GetSecret(Guid id, WebhookSecrets service, CancellationToken ct) =>
        TypedResults.Ok(new SecretResponse(await service.GetSecretAsync(id, ct)));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Accepted<Deliveries.BulkRedeliveryResponse>> Recover(Guid id, Deliveries.RecoverRequest request, WebhookCatalog webhooks, Deliveries.DeliveryService deliveries, CancellationToken ct)
    {
        if (request.Since is not { } since)
        {
            throw new Infrastructure.Errors.PortalValidationException("since", "'since' is required: the ISO 8601 time from which failed deliveries are sent again.");
        }

        await webhooks.GetByIdAsync(id, ct);
        var utc = since.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(since, DateTimeKind.Utc) : since.ToUniversalTime();
        var started = await deliveries.RecoverAsync(Deliveries.DeliveryTargetKind.Webhook, id, utc, ct);
        return TypedResults.Accepted(Deliveries.RedeliveryJobs.PathOf(started.JobId), started);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<SecretResponse>> RotateSecret(Guid id, WebhookSecrets service, ClaimsPrincipal user, CancellationToken ct,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] RotateSecretRequest? request = null) =>
        TypedResults.Ok(await service.RotateSecretAsync(id, user.Identity?.Name, RotationOverlap.Parse(request?.Overlap), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> ExpirePreviousSecret(Guid id, WebhookSecrets service, ClaimsPrincipal user, CancellationToken ct)
    {
        await service.ExpirePreviousSecretAsync(id, user.Identity?.Name, ct);
        return TypedResults.NoContent();
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Accepted<PublishResponse>> Publish(Guid id, PublishRequest request, WebhookPublisher service, CancellationToken ct)
    {
        var message = await service.PublishAsync(id, request.EventType, request.Payload, ct);
        return TypedResults.Accepted((string?)null, new PublishResponse(message.Id));
    }
}
