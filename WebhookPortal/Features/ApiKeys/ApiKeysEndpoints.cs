using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.ApiKeys;

public static class ApiKeysEndpoints
{
    public static IEndpointRouteBuilder MapApiKeysEndpoints(this IEndpointRouteBuilder app)
    {
        // Keys are credentials: only administrators list, create or revoke them.
        var group = app.MapGroup("/api/api-keys").WithTags("API keys").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Small);
        group.MapGet("/", List).WithName("ListApiKeys").WithSummary("List the API keys").WithDescription("Keys are listed by their public prefix; the key itself is shown only once, when it is created.");
        group.MapPost("/", Create).WithName("CreateApiKey").WithSummary("Create an API key").WithDescription("The answer carries the key, once. A Subscriber key needs the integrations it may reach (integrationIds); other roles take none.");
        group.MapDelete("/{id:guid}", Revoke).WithName("RevokeApiKey").WithSummary("Revoke an API key").WithDescription("The key stops working at once, and the REST-hook subscriptions it made go with it (their pending deliveries are cancelled).");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyView>>> List(ApiKeyService service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Created<CreatedApiKeyResponse>> Create(CreateApiKeyRequest request, ApiKeyService service, ClaimsPrincipal user, CancellationToken ct)
    {
        var created = await service.CreateAsync(request.Name, request.Role, request.IntegrationIds, user.Identity?.Name, ct);
        return TypedResults.Created($"/api/api-keys/{created.Id}", created);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Revoke(Guid id, ApiKeyService service, CancellationToken ct)
    {
        await service.RevokeAsync(id, ct);
        return TypedResults.NoContent();
    }
}
