using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Notifications;

public static class MintNotificationConditionsEndpoints
{
    private const string BodyDescription =
        "The vendor's body {\"notificationCondition\":[{\"attribute\":\"RATEPLAN\"|\"PUBLISHED\"|\"UsageTarget\",\"value\":…}],\"actions\":[{\"actionAttribute\":\"WEBHOOK\",\"value\":\"<webhook id>\"}]}, "
        + "trailing commas allowed; optional name, target, period and enabled. See docs/compatibility.md#mint-notification-conditions-api.";

    /// <summary>The mint notification-conditions API (docs/compatibility.md#mint-notification-conditions-api): {org} = the integration's name, auth as the mint webhooks API.</summary>
    public static IEndpointRouteBuilder MapMintNotificationConditionsEndpoints(this IEndpointRouteBuilder app)
    {
        var mint = app.MapGroup("/v1/mint/organizations/{org}/notification-conditions").WithTags("Notification conditions (seed API)").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        mint.MapGet("/", List).WithName("ListNotificationConditions").WithSummary("List an organization's notification conditions (mint API)");
        mint.MapGet("/{id:guid}", Get).WithName("GetNotificationCondition").WithSummary("Get a notification condition (mint API)");
        mint.MapPost("/", Create).WithName("CreateNotificationCondition").WithSummary("Create a notification condition and its webhook actions (mint API)")
            .WithDescription(BodyDescription).Accepts<MintNotificationConditionBody>("application/json").RequireAuthorization(PortalPolicies.Admin);
        mint.MapPut("/{id:guid}", Update).WithName("UpdateNotificationCondition").WithSummary("Change a notification condition (mint API)")
            .WithDescription(BodyDescription + " What the body leaves out keeps its value.").Accepts<MintNotificationConditionBody>("application/json").RequireAuthorization(PortalPolicies.Admin);
        mint.MapDelete("/{id:guid}", Delete).WithName("DeleteNotificationCondition").WithSummary("Delete a notification condition (mint API)").RequireAuthorization(PortalPolicies.Admin);
        return app;
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<MintNotificationConditionListResponse>> List(string org, MintNotificationConditions service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(org, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<MintNotificationConditionView>> Get(string org, Guid id, MintNotificationConditions service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(org, id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Created<MintNotificationConditionView>> Create(string org, HttpRequest request, MintNotificationConditions service, CancellationToken ct)
    {
        var created = await service.CreateAsync(org, await LenientJsonBody.ReadAsync(request, ct), ct);
        return TypedResults.Created($"/v1/mint/organizations/{Uri.EscapeDataString(org)}/notification-conditions/{created.Id}", created);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<MintNotificationConditionView>> Update(string org, Guid id, HttpRequest request, MintNotificationConditions service, CancellationToken ct) =>
        TypedResults.Ok(await service.UpdateAsync(org, id, await LenientJsonBody.ReadAsync(request, ct), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Delete(string org, Guid id, MintNotificationConditions service, CancellationToken ct)
    {
        await service.DeleteAsync(org, id, ct);
        return TypedResults.NoContent();
    }
}
