using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Listeners;

public static class ListenersEndpoints
{
    public static IEndpointRouteBuilder MapListenersEndpoints(this IEndpointRouteBuilder app)
    {
        var byIntegration = app.MapGroup("/api/integrations/{integrationId:guid}/listeners").WithTags("Listeners").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Large);
        byIntegration.MapGet("/", List).WithName("ListListeners").WithSummary("List an integration's listeners");
        byIntegration.MapPost("/", Create).WithName("CreateListener").WithSummary("Create a listener").WithDescription("The listener's URL is /hooks/{integrationId}/{listenerId}; with Token authentication, generate the token next (POST …/token).").RequireAuthorization(PortalPolicies.Admin);

        var listeners = app.MapGroup("/api/listeners").WithTags("Listeners").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        listeners.MapGet("/", ListAll).WithName("ListAllListeners").WithSummary("List every listener");
        listeners.MapGet("/{id:guid}", Get).WithName("GetListener").WithSummary("Get a listener");
        listeners.MapPut("/{id:guid}", Update).WithName("UpdateListener").WithSummary("Change a listener").WithDescription("A field left out keeps its value; expectedUpdated refuses (409) a change to a listener someone else changed since it was read.").Accepts<ListenerRequest>("application/json").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Large);
        listeners.MapDelete("/{id:guid}", Delete).WithName("DeleteListener").WithSummary("Delete a listener with its tables, event types and rules").RequireAuthorization(PortalPolicies.Admin);
        listeners.MapGet("/{id:guid}/deletion-impact", DeletionImpact).WithName("ListenerDeletionImpact").WithSummary("What deleting the listener would remove").RequireAuthorization(PortalPolicies.Admin);
        listeners.MapPost("/{id:guid}/token", RotateToken).WithName("RotateListenerToken").WithSummary("Generate or rotate the listener's token")
            .WithDescription("The token is shown once in the answer and stored as a hash. The token it replaces is still accepted for {\"overlap\": \"hh:mm:ss\"} (Listeners:TokenOverlap when left out, none with 00:00:00); previousTokenExpires says until when.").RequireAuthorization(PortalPolicies.Admin);
        listeners.MapPost("/{id:guid}/token/expire-previous", ExpirePreviousToken).WithName("ExpirePreviousListenerToken").WithSummary("End a token rotation's overlap now")
            .WithDescription("The previous token is refused from now on.").RequireAuthorization(PortalPolicies.Admin);
        listeners.MapPost("/{id:guid}/secret", RotateSecret).WithName("RotateListenerSecret").WithSummary("Enter, generate or rotate the listener's signing secret")
            .WithDescription("For signature methods (Hmac, GitHub, Shopify, Stripe, Slack, StandardWebhooks). {\"secret\"} sets the sender's secret, left out one is generated; it is returned once and stored protected. The secret it replaces is still accepted for {\"overlap\": \"hh:mm:ss\"} (Listeners:TokenOverlap when left out).").RequireAuthorization(PortalPolicies.Admin);
        listeners.MapPost("/{id:guid}/secret/expire-previous", ExpirePreviousSecret).WithName("ExpirePreviousListenerSecret").WithSummary("End a signing secret rotation's overlap now").RequireAuthorization(PortalPolicies.Admin);
        listeners.MapPost("/{id:guid}/replay", BulkReplay).WithName("BulkReplayListenerRequests").WithSummary("Replay a listener's logged requests in a time range")
            .WithDescription("{\"from\", \"to\", \"state\": \"error\"} (to: now when left out; state error, success or all). Answers 202 with the number of requests to replay; they run as a job, each as a new log entry linked to its original. Requests refused before authentication, handshakes and bodies cut at the log's limit are skipped (counted in skipped).");
        listeners.MapGet("/{id:guid}/replays", ListReplays).WithName("ListBulkReplays").WithSummary("The listener's latest bulk replays with their progress");
        listeners.MapGet("/{id:guid}/replays/{replayId:guid}", GetReplay).WithName("GetBulkReplay").WithSummary("A bulk replay's progress and summary");
        listeners.MapPost("/{id:guid}/tables/preview", Preview).WithName("PreviewListenerTables").WithSummary("Preview the tables a JSON sample would generate")
            .WithDescription("Answers the tables and the SQL generating them would run on this database (statements, losses, dialect); statements is empty until primaryKey names a root column. columns renames or retypes inferred columns: {\"table.column\": {\"name\": …, \"type\": …}} keyed by the names a preview without it lists.").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Large);
        listeners.MapPost("/{id:guid}/tables", Generate).WithName("GenerateListenerTables").WithSummary("Generate or change the listener's tables from a JSON sample").WithDescription("A change that would lose data answers 409 with the losses unless confirmDestructive is true. columns renames or retypes inferred columns (as for the preview); a renamed column is still filled from its JSON field. Bad names answer 400 keyed columns[table.column].").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Large);
        listeners.MapGet("/{id:guid}/records", Records).WithName("ListListenerRecords").WithSummary("Page through the listener's stored records")
            .WithDescription("q finds records whose key or any text column contains it (case-insensitive); sort names a root column or lastModified (the default) and order is desc (the default) or asc.");
        listeners.MapGet("/{id:guid}/records/export", ExportRecords).WithName("ExportListenerRecords").WithSummary("Download the listener's records as CSV or JSON")
            .WithDescription("format is csv or json; q, sort and order select and order the records as for the records page. Every matching record is exported, read from one snapshot.");
        listeners.MapPost("/{id:guid}/script/test", TestScript).WithName("TestListenerScript").WithSummary("Run the listener's script on a sample request").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Large);

        var retention = app.MapGroup("/api/maintenance/retention").WithTags("Maintenance").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Small);
        retention.MapPost("/run", RunRetention).WithName("RunRetention").WithSummary("Start a retention run now")
            .WithDescription("Deletes records older than each listener's retention period, log entries, finished deliveries and audit entries older than theirs, as a job. "
                + "Answers 202 with the run (id, status, progress, summary, links) and its Location; while a run is queued or running, the answer is that run (no second one starts).");
        retention.MapGet("/runs/latest", LatestRetentionRun).WithName("GetLatestRetentionRun").WithSummary("The newest retention run an administrator started")
            .WithDescription("404 when none was started yet (the scheduled runs are not listed).");
        retention.MapGet("/runs/{id:guid}", GetRetentionRun).WithName("GetRetentionRun").WithSummary("A retention run's status, progress (0–100) and, once it succeeded, its summary");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<ListenerView>>> List(Guid integrationId, ListenerCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(integrationId, ct));

    private static async Task<Ok<IReadOnlyList<ListenerView>>> ListAll(ListenerCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(null, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Created<ListenerView>> Create(Guid integrationId, ListenerRequest input, ListenerCatalog service, CancellationToken ct)
    {
        var created = await service.CreateAsync(integrationId, input, ct);
        return TypedResults.Created($"/api/listeners/{created.Id}", created);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<ListenerView>> Get(Guid id, ListenerCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Ok<ListenerView>> Update(Guid id, System.Text.Json.JsonElement body, ListenerCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.UpdateAsync(id, Infrastructure.Http.UpdateBody.Read<ListenerRequest>(body), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<Integrations.DeletionImpact>> DeletionImpact(Guid id, ListenerCatalog service, CancellationToken ct) =>
        TypedResults.Ok(await service.DeletionImpactAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> Delete(Guid id, ListenerCatalog service, CancellationToken ct)
    {
        await service.DeleteAsync(id, ct);
        return TypedResults.NoContent();
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<TokenResponse>> RotateToken(Guid id, ListenerTokens service, CancellationToken ct,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] RotateTokenRequest? request = null) =>
        TypedResults.Ok(await service.RotateTokenAsync(id, RotationOverlap.Parse(request?.Overlap), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<SecretResponse>> RotateSecret(Guid id, ListenerSecrets service, CancellationToken ct,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] RotateSecretRequest? request = null) =>
        TypedResults.Ok(await service.RotateAsync(id, request?.Secret, RotationOverlap.Parse(request?.Overlap), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> ExpirePreviousSecret(Guid id, ListenerSecrets service, CancellationToken ct)
    {
        await service.ExpirePreviousAsync(id, ct);
        return TypedResults.NoContent();
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<NoContent> ExpirePreviousToken(Guid id, ListenerTokens service, CancellationToken ct)
    {
        await service.ExpirePreviousTokenAsync(id, ct);
        return TypedResults.NoContent();
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Accepted<Replays.BulkReplayStarted>> BulkReplay(Guid id, Replays.BulkReplayRequest request, Replays.BulkReplays service, CancellationToken ct)
    {
        var started = await service.StartAsync(id, request, ct);
        return TypedResults.Accepted($"/api/listeners/{id}/replays/{started.Id}", started);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<IReadOnlyList<Replays.BulkReplayView>>> ListReplays(Guid id, Replays.BulkReplays service, CancellationToken ct) =>
        TypedResults.Ok(await service.ListAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<Replays.BulkReplayView>> GetReplay(Guid id, Guid replayId, Replays.BulkReplays service, CancellationToken ct) =>
        TypedResults.Ok(await service.GetAsync(id, replayId, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Ok<TablesPreviewResponse>> Preview(Guid id, TablesRequest request, TableDesigner service, CancellationToken ct) =>
        TypedResults.Ok(await service.PreviewTablesAsync(id, request, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Ok<TablesResponse>> Generate(Guid id, TablesRequest request, TableDesigner service, CancellationToken ct) =>
        TypedResults.Ok(await service.GenerateTablesAsync(id, request, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<RecordsPageResponse>> Records(Guid id, ListenerRecords service, CancellationToken ct, int page = 1, int pageSize = 50, string? q = null, string? sort = null, string? order = null) =>
        TypedResults.Ok(await service.GetRecordsAsync(id, page, pageSize, new RecordsFilter(q, sort, order), ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType(typeof(string), StatusCodes.Status200OK, "text/csv", "application/json")]
    private static async Task<IResult> ExportRecords(Guid id, ListenerRecords service, CancellationToken ct, string? format = null, string? q = null, string? sort = null, string? order = null)
    {
        var export = await service.PrepareExportAsync(id, format, new RecordsFilter(q, sort, order), ct);
        return Results.Stream(stream => export.WriteAsync(stream, ct), export.ContentType, export.FileName);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    private static async Task<Ok<ScriptTestResponse>> TestScript(Guid id, ScriptTestRequest request, ListenerScriptTester service, CancellationToken ct) =>
        TypedResults.Ok(await service.TestScriptAsync(id, request, ct));

    private static async Task<Accepted<RetentionRunView>> RunRetention(RetentionRuns runs, CancellationToken ct)
    {
        // A run already queued or running is answered as is: 202 with that run, nothing new queued.
        var (run, _) = await runs.StartAsync(ct);
        return TypedResults.Accepted(run.Links.Self, run);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<RetentionRunView>> GetRetentionRun(Guid id, RetentionRuns runs, CancellationToken ct) =>
        TypedResults.Ok(await runs.GetAsync(id, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<RetentionRunView>> LatestRetentionRun(RetentionRuns runs, CancellationToken ct) =>
        TypedResults.Ok(await runs.LatestAsync(ct) ?? throw new WebhookPortal.Infrastructure.Errors.NotFoundException("No retention run was started yet."));
}
