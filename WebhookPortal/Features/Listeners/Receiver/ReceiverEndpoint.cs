using Microsoft.AspNetCore.Mvc;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>
/// <c>/hooks/{integrationId}/{listenerId}[/{recordId}]</c>: the listener URLs. Everything a request goes through
/// is in <see cref="InboundPipeline"/>; this file only maps the routes and writes the answer.
/// </summary>
public static class ReceiverEndpoint
{
    public static IEndpointRouteBuilder MapReceiverEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/hooks/{integrationId:guid}/{listenerId:guid}")
            .WithTags("Receiver")
            .AllowAnonymous()
            .DisableAntiforgery();
        hooks.MapMethods("/", ["POST", "PUT", "PATCH", "DELETE"],
                async (HttpContext http, Guid integrationId, Guid listenerId, InboundPipeline pipeline) =>
                    Answer(await pipeline.ReceiveAsync(http, integrationId, listenerId, recordId: null)))
            .WithName("ReceiveRecords")
            .WithSummary("Receive records from a System of Record")
            .WithDescription("POST/PUT upsert the records of a JSON body into the listener's tables, PATCH updates existing records, DELETE removes the record named by its key in the query. Authenticated by the listener's own method (e.g. a token); a 2xx means the data is committed.");
        hooks.MapGet("/",
                async (HttpContext http, Guid integrationId, Guid listenerId, InboundPipeline pipeline) =>
                    Answer(await pipeline.ReceiveAsync(http, integrationId, listenerId, recordId: null)))
            .WithName("ListenerHandshake")
            .WithSummary("Answer a sender's hub challenge")
            .WithDescription("For a listener with the HubChallenge handshake: GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… answers the challenge as text when the verify token matches. Any other GET is refused with 405.");
        hooks.MapDelete("/{recordId}",
                async (HttpContext http, Guid integrationId, Guid listenerId, string recordId, InboundPipeline pipeline) =>
                    Answer(await pipeline.ReceiveAsync(http, integrationId, listenerId, recordId)))
            .WithName("DeleteRecord")
            .WithSummary("Delete one record by its key")
            .WithDescription("For tables with a single-column key; composite keys are deleted with DELETE and the key fields in the query.");
        return app;
    }

    public static IResult Answer(WriteOutcome outcome) => outcome.TextContentType is { } text
        ? Results.Text((string)outcome.Body, text, statusCode: outcome.Status)
        : Results.Json(
        outcome.Body,
        statusCode: outcome.Status,
        contentType: outcome.Body is ProblemDetails ? "application/problem+json" : "application/json");
}
