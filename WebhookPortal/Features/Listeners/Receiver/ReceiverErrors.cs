using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners.Receiver;

public static class ReceiverErrors
{
    public static WriteOutcome Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://httpstatuses.io/{status}" };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        return new WriteOutcome(status, problem, detail);
    }

    public static WriteOutcome FromException(Exception ex, ILogger logger) => ex switch
    {
        RecordValidationException invalid => Problem(StatusCodes.Status422UnprocessableEntity, "A record is invalid.", invalid.Message, new Dictionary<string, object?> { ["field"] = invalid.Field }),
        PortalException portal => Problem(portal.StatusCode, portal.Title, portal.Message),
        _ => Unexpected(ex, logger),
    };

    private static WriteOutcome Unexpected(Exception ex, ILogger logger)
    {
        logger.LogError(ex, "A receiver write failed.");
        return Problem(StatusCodes.Status500InternalServerError, "The record could not be stored.", "An unexpected error occurred; nothing was stored.");
    }
}
