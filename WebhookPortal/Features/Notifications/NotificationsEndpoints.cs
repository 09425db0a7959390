using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Notifications;

public static class NotificationsEndpoints
{
    public static IEndpointRouteBuilder MapNotificationsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/integrations/{integrationId:guid}/notification-rules").WithTags("Notification rules").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        group.MapGet("/", List).WithName("ListNotificationRules").WithSummary("List an integration's notification rules").WithDescription("Each rule with the count of its current period.");
        group.MapGet("/{ruleId:guid}", Get).WithName("GetNotificationRule").WithSummary("Get a notification rule");
        group.MapGet("/{ruleId:guid}/history", History).WithName("NotificationRuleHistory").WithSummary("When a rule's thresholds fired").WithDescription("The latest 200 firings, newest first, each with its callback's delivery state.");
        group.MapPost("/", Create).WithName("CreateNotificationRule").WithSummary("Create a notification rule").WithDescription("Notifies the chosen webhooks when a listener's (or the whole integration's) accepted requests in a period reach percentages of a target; see docs/compatibility.md#mint-webhooks-api.").RequireAuthorization(PortalPolicies.Admin);
        group.MapPut("/{ruleId:guid}", Update).WithName("UpdateNotificationRule").WithSummary("Change a notification rule").WithDescription("An omitted (or null) field keeps its value; listenerId sent as null counts the whole integration.").Accepts<NotificationRuleRequest>("application/json").RequireAuthorization(PortalPolicies.Admin);
        group.MapDelete("/{ruleId:guid}", Delete).WithName("DeleteNotificationRule").WithSummary("Delete a notification rule with its counts and firings").RequireAuthorization(PortalPolicies.Admin);
        app.MapMintNotificationConditionsEndpoints();
        return app;
    }

    private static async Task<Ok<IReadOnlyList<NotificationRuleView>>> List(Guid integrationId, NotificationService rules, CancellationToken ct) => TypedResults.Ok(await rules.ListAsync(integrationId, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<NotificationRuleView>> Get(Guid integrationId, Guid ruleId, NotificationService rules, CancellationToken ct) => TypedResults.Ok(await rules.GetAsync(integrationId, ruleId, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<IReadOnlyList<RuleFiringView>>> History(Guid integrationId, Guid ruleId, NotificationService rules, CancellationToken ct)
    {
        await rules.GetAsync(integrationId, ruleId, ct);
        return TypedResults.Ok(await rules.HistoryAsync(ruleId, ct));
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Created<NotificationRuleView>> Create(Guid integrationId, NotificationRuleRequest input, NotificationService rules, CancellationToken ct)
    {
        var created = await rules.CreateAsync(integrationId, input, ct);
        return TypedResults.Created($"/api/integrations/{integrationId}/notification-rules/{created.Id}", created);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<NotificationRuleView>> Update(Guid integrationId, Guid ruleId, System.Text.Json.JsonElement body, NotificationService rules, CancellationToken ct) =>
        TypedResults.Ok(await rules.UpdateAsync(integrationId, ruleId, Infrastructure.Http.UpdateBody.Read<NotificationRuleRequest>(body), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Delete(Guid integrationId, Guid ruleId, NotificationService rules, CancellationToken ct)
    {
        await rules.DeleteAsync(integrationId, ruleId, ct);
        return TypedResults.NoContent();
    }
}
