using System.Globalization;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Infrastructure.Http;

/// <summary>The <c>overlap</c> of a secret or token rotation request: a time span, or null when the request leaves it out.</summary>
public static class RotationOverlap
{
    public static TimeSpan? Parse(string? overlap) =>
        overlap is null ? null
        : TimeSpan.TryParse(overlap, CultureInfo.InvariantCulture, out var value) ? value
        : throw new PortalValidationException("overlap", "The overlap is a time span such as 24:00:00 or 1.00:00:00.");
}
