using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Jobs;

public static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        // The async-jobs paths (docs/compatibility.md#async-jobs): /api/authenticate, /api/backup/owner, /api/webhook?id=…
        app.MapGet("/api/authenticate", AuthenticateQuery).WithTags("Async jobs").WithName("AuthenticateGet").WithSummary("Exchange an API key and password for a short-lived job token (query)").WithDescription("docs/compatibility.md#async-jobs; credentials in a query string are accepted for compatibility and never logged.").AllowAnonymous();
        app.MapPost("/api/authenticate", AuthenticateBody).WithTags("Async jobs").WithName("AuthenticatePost").WithSummary("Exchange an API key and password for a short-lived job token (body)").AllowAnonymous().DisableAntiforgery().WithBodyLimit(BodySize.Small);
        app.MapPost("/api/backup/owner", Backup).WithTags("Async jobs").WithName("BackupOwner").WithSummary("Start a backup job of the caller's data with a callback").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        app.MapPost("/api/backup", Backup).WithTags("Async jobs").WithName("Backup").WithSummary("Start a backup job with a callback").WithDescription("Answers at once; when the job finishes the portal calls webhook_url?id=<claim id>, and GET /api/webhook?id= returns the download.").RequireAuthorization(PortalPolicies.Read).WithBodyLimit(BodySize.Small);
        app.MapGet("/api/webhook", Claim).WithTags("Async jobs").WithName("ClaimJobResult").WithSummary("Claim a finished job's result by its callback id").RequireAuthorization(PortalPolicies.Read);
        app.MapGet("/api/jobs", List).WithTags("Async jobs").WithName("ListJobs").WithSummary("List jobs (non-admins see their own)").RequireAuthorization(PortalPolicies.Read);
        app.MapGet("/api/jobs/{id:guid}", Get).WithTags("Async jobs").WithName("GetJob").WithSummary("Get a job").RequireAuthorization(PortalPolicies.Read);
        // The claim-checked URL works without credentials until it expires.
        app.MapGet("/api/jobs/{id:guid}/download", Download).WithTags("Async jobs").WithName("DownloadJobFile").WithSummary("Download a finished job's file").WithDescription("The link works without credentials until it expires (Jobs:DownloadLifetime).").AllowAnonymous();
        return app;
    }

    private static async Task<IResult> AuthenticateQuery(HttpContext context, JobTokens jobs, CancellationToken ct, string? api_key = null, string? username = null, string? password = null) =>
        await AuthenticateAsync(context, jobs, new AuthenticateRequest(api_key, username, password), ct);

    private static async Task<IResult> AuthenticateBody(HttpRequest request, JobTokens jobs, CancellationToken ct)
    {
        AuthenticateRequest? body = null;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            body = new AuthenticateRequest(form["api_key"], form["username"], form["password"]);
        }
        else if (request.HasJsonContentType())
        {
            try
            {
                body = await request.ReadFromJsonAsync<AuthenticateRequest>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct);
            }
            catch (JsonException)
            {
                body = null;
            }
        }

        return await AuthenticateAsync(request.HttpContext, jobs, body ?? new AuthenticateRequest(null, null, null), ct);
    }

    private static async Task<IResult> AuthenticateAsync(HttpContext context, JobTokens jobs, AuthenticateRequest request, CancellationToken ct)
    {
        // Password guesses are throttled per client address and account, like the login form and Basic.
        var throttle = context.RequestServices.GetRequiredService<CredentialThrottle>();
        using var attempt = await throttle.BeginAsync(CredentialThrottle.AddressOf(context), request.Username ?? "", ct);
        if (!attempt.Allowed)
        {
            context.Response.Headers.RetryAfter = attempt.RetryAfterSeconds;
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many sign-in attempts.",
                detail: $"Too many failed credential checks; try again in {attempt.RetryAfterSeconds} seconds.");
        }

        var outcome = await jobs.AuthenticateAsync(request, ct);
        if (outcome.PasswordGuessed)
        {
            attempt.Failed();
        }

        if (outcome.MustChangePassword)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Password change required.", detail: PasswordChange.ApiDetail);
        }

        return outcome.Token is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Authentication failed.", detail: "api_key, username and password must all be valid.")
            : TypedResults.Ok(outcome.Token);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests)]
    private static async Task<Results<Accepted<BackupResponse>, ProblemHttpResult>> Backup(HttpRequest request, JobService jobs, CancellationToken ct)
    {
        BackupRequest? body = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                body = await request.ReadFromJsonAsync<BackupRequest>(new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNameCaseInsensitive = true }, ct);
            }
            catch (JsonException)
            {
                throw new UnprocessableException("The body must be JSON: {\"webhook_url\": \"https://…\"}.");
            }
        }

        BackupResponse accepted;
        try
        {
            accepted = await jobs.StartBackupAsync(body?.WebhookUrl, ct);
        }
        catch (JobLimitException ex)
        {
            // Answered here, not by the exception handler, which clears headers (Retry-After among them).
            request.HttpContext.Response.Headers.RetryAfter = ((int)JobLimitException.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: ex.StatusCode, title: ex.Title, detail: ex.Message);
        }

        return TypedResults.Accepted($"/api/jobs/{accepted.JobId}", accepted);
    }

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<ClaimResponse>> Claim(JobService jobs, CancellationToken ct, string? id = null) =>
        TypedResults.Ok(await jobs.ClaimAsync(id, ct));

    private static async Task<Ok<IReadOnlyList<JobView>>> List(JobService jobs, CancellationToken ct) => TypedResults.Ok(await jobs.ListAsync(ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    private static async Task<Ok<JobView>> Get(Guid id, JobService jobs, CancellationToken ct) => TypedResults.Ok(await jobs.GetAsync(id, ct));

    private static async Task<IResult> Download(Guid id, JobService jobs, CancellationToken ct, string? key = null)
    {
        var file = await jobs.DownloadAsync(id, key, ct);
        return file is { } found
            ? TypedResults.PhysicalFile(found.Path, "application/zip", found.Name)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: "The download link is unknown or has expired.");
    }
}
