using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Logs;

public static class LogsEndpoints
{
    public static IEndpointRouteBuilder MapLogsEndpoints(this IEndpointRouteBuilder app)
    {
        // Reading, replay and redelivery are Support's work as much as an admin's (SPEC, "Who uses it").
        var group = app.MapGroup("/api/logs").WithTags("Logs").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        group.MapGet("/", Search).WithName("SearchLogs").WithSummary("Search the request and attempt log").WithDescription(
            "Inbound requests and outbound attempts, newest first, filtered and paged on the server. direction: inbound or outbound; state: success, error or all. " +
            "q: words in the name, path, event type, error or bodies, side by side in that order (whole words; the last one also as the start of a word when it ends with * or matches nothing whole; quotes: whole words only). " +
            "Paging: pass the response's 'next' as 'cursor' for the next page ('page' still works, but reads every entry before it). " +
            "'total' is exact up to 10,000 (Logs:CountLimit), or 1,000 when searching text (Logs:TextCountLimit); beyond it 'totalCapped' is true and 'total' is the limit.");
        group.MapGet("/{id:long}", Get).WithName("GetLogEntry").WithSummary("Get a log entry with its headers and bodies").WithDescription("Secrets were masked before the entry was stored.");
        group.MapGet("/names", Names).WithName("ListLogNames").WithSummary("The listener and webhook names seen in the log");
        group.MapPost("/{id:long}/replay", Replay).WithName("ReplayLogEntry").WithSummary("Replay a logged inbound request").WithDescription("Runs the request again, without its (redacted) credentials, as a new logged request. Only requests the listener accepted as authenticated can be replayed (409 otherwise).");
        group.MapPost("/{id:long}/redeliver", Redeliver).WithName("RedeliverLogEntry").WithSummary("Send the message of a logged outbound attempt again");
        return app;
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<LogPage>> Search(
        LogService logs, CancellationToken ct,
        string? direction = null, string? name = null, string? state = null, DateTime? from = null, DateTime? to = null, string? q = null,
        Guid? integrationId = null, Guid? sourceId = null, int page = 1, int pageSize = 50, string? cursor = null) =>
        TypedResults.Ok(await logs.SearchAsync(new LogQuery(direction, name, state, from, to, q, integrationId, sourceId, page, pageSize, cursor), ct));

    private static async Task<Ok<IReadOnlyList<string>>> Names(LogService logs, CancellationToken ct) => TypedResults.Ok(await logs.NamesAsync(ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Ok<ReplayResponse>> Replay(long id, LogActions actions, CancellationToken ct) => TypedResults.Ok(await actions.ReplayAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<WebhookPortal.Features.Deliveries.DeliveryView>> Redeliver(long id, LogActions actions, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await actions.RedeliverAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<LogDetailView>> Get(long id, LogService logs, CancellationToken ct) =>
        TypedResults.Ok(await logs.GetAsync(id, ct));
}
