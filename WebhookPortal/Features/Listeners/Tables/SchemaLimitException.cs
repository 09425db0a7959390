using System.Globalization;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>A sample that breaks a cap: 422 naming the cap, and nothing is created.</summary>
public sealed class SchemaLimitException(string message) : PortalException(message)
{
    public override int StatusCode => StatusCodes.Status422UnprocessableEntity;

    public override string Title => "The sample is too large to turn into tables.";
}
