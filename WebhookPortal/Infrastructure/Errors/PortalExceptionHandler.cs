using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace WebhookPortal.Infrastructure.Errors;

/// <summary>The one place that turns domain errors into RFC 7807 answers.</summary>
internal sealed class PortalExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem;
        switch (exception)
        {
            case PortalValidationException validation:
                problem = new HttpValidationProblemDetails(validation.Errors) { Status = validation.StatusCode, Title = validation.Title, Detail = validation.Message };
                break;
            case PortalException portal:
                problem = new ProblemDetails { Status = portal.StatusCode, Title = portal.Title, Detail = portal.Message };
                foreach (var (name, value) in portal.Extensions)
                {
                    problem.Extensions[name] = value;
                }

                break;
            case BadHttpRequestException bad:
                problem = new ProblemDetails { Status = bad.StatusCode, Title = "Bad request.", Detail = bad.Message };
                break;
            default:
                return false;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
