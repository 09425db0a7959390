using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Audit;

public static class AuditEndpoints
{
    public const string PageExportPath = "/audit/export";

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        // Who changed what is for administrators only: it names users, keys and addresses.
        var group = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Small);
        group.MapGet("/", Search).WithName("SearchAudit").WithSummary("Search the audit trail")
            .WithDescription("Changes made by people and keys, newest first, filtered and paged on the server. actor: part of an email or key name (or an id); resource: integration, listener, table, webhook, rule, event_type, subscription, user, api_key, replay, delivery or retention; action: one action (listener.auth_changed) or a resource's actions (listener); from/to: ISO 8601 times; q: free text. Secrets are masked.");
        group.MapGet("/{id:long}", Get).WithName("GetAuditEntry").WithSummary("Get an audit entry with its before/after diff");
        group.MapGet("/export", Export).WithName("ExportAudit").WithSummary("Download the filtered audit trail as CSV or JSON")
            .WithDescription("format is csv (the default) or json; the filters are those of GET /api/audit. Every matching entry is exported, newest first.");

        // The page's download link: the browser sends the sign-in cookie, which /api paths never accept.
        app.MapGet(PageExportPath, Export).RequireAuthorization(PortalPolicies.Admin).ExcludeFromDescription();
        return app;
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<Ok<AuditPage>> Search(AuditService audit, CancellationToken ct,
        string? actor = null, string? resource = null, string? action = null, DateTime? from = null, DateTime? to = null, string? q = null, string? resourceId = null,
        int page = 1, int pageSize = 50) =>
        TypedResults.Ok(await audit.SearchAsync(new AuditQuery(actor, resource, action, from, to, q, resourceId, page, pageSize), ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<AuditDetail>> Get(long id, AuditService audit, CancellationToken ct) => TypedResults.Ok(await audit.GetAsync(id, ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    private static async Task<IResult> Export(AuditService audit, CancellationToken ct, string? format = null,
        string? actor = null, string? resource = null, string? action = null, DateTime? from = null, DateTime? to = null, string? q = null, string? resourceId = null)
    {
        var (fileName, contentType, write) = await audit.PrepareExportAsync(format, new AuditQuery(actor, resource, action, from, to, q, resourceId), ct);
        return Results.Stream(stream => write(stream, ct), contentType, fileName);
    }
}
