using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Integrations;

public static class IntegrationsEndpoints
{
    public static IEndpointRouteBuilder MapIntegrationsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/integrations").WithTags("Integrations").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);

        group.MapGet("/", List).WithName("ListIntegrations").WithSummary("List the integrations").WithDescription("Every integration, by name.");
        group.MapGet("/{id:guid}", Get).WithName("GetIntegration").WithSummary("Get an integration");
        group.MapPost("/", Create).WithName("CreateIntegration").WithSummary("Create an integration").WithDescription("The name must be unique and contain no '/': it is the {org} segment of the mint webhooks API.").RequireAuthorization(PortalPolicies.Admin);
        group.MapPut("/{id:guid}", Update).WithName("UpdateIntegration").WithSummary("Change an integration").WithDescription("An omitted (or null) name keeps its value; a description sent as null clears it.").Accepts<IntegrationRequest>("application/json").RequireAuthorization(PortalPolicies.Admin);
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteIntegration").WithSummary("Delete an integration with everything in it").WithDescription("Its listeners (and their tables), webhooks, event types, subscriptions and notification rules go in one transaction; pending deliveries are cancelled.").RequireAuthorization(PortalPolicies.Admin);
        group.MapGet("/{id:guid}/deletion-impact", DeletionImpact).WithName("IntegrationDeletionImpact").WithSummary("What deleting an integration would take with it").WithDescription("The counts a delete would remove, for a confirmation.").RequireAuthorization(PortalPolicies.Admin);
        return app;
    }

    private static async Task<Ok<IReadOnlyList<IntegrationView>>> List(IntegrationService service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(ct));

    private static async Task<Ok<IntegrationView>> Get(Guid id, IntegrationService service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Created<IntegrationView>> Create(IntegrationRequest input, IntegrationService service, CancellationToken ct)
    {
        var created = await service.CreateAsync(input, ct);
        return TypedResults.Created($"/api/integrations/{created.Id}", created);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Ok<IntegrationView>> Update(Guid id, System.Text.Json.JsonElement body, IntegrationService service, CancellationToken ct) =>
        TypedResults.Ok(await service.UpdateAsync(id, Infrastructure.Http.UpdateBody.Read<IntegrationRequest>(body), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<DeletionImpact>> DeletionImpact(Guid id, IntegrationService service, CancellationToken ct) =>
        TypedResults.Ok(await service.DeletionImpactAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Delete(Guid id, IntegrationService service, CancellationToken ct)
    {
        await service.DeleteAsync(id, ct);
        return TypedResults.NoContent();
    }
}
