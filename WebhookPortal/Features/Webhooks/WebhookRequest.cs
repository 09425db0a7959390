using System.Text.Json;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Webhooks;

/// <summary>The fields a create or update may carry; null = not sent. <c>retrySchedule</c> "" (or "default") returns to Delivery:Schedule.</summary>
public sealed record WebhookRequest(string? Name, string? PostUrl, bool? Enabled, List<string>? EventTypes, Dictionary<string, string>? Headers, string? RetrySchedule = null)
{
    /// <summary>Reads seed-shaped JSON: <c>postURL</c> or <c>postUrl</c>, <c>enabled</c> as a boolean or "true"/"false".</summary>
    public static WebhookRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new PortalValidationException("body", "The body must be a JSON object.");
        }

        string? Text(params string[] names)
        {
            foreach (var name in names)
            {
                if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                {
                    return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new PortalValidationException(name, $"'{name}' must be a string.");
                }
            }

            return null;
        }

        bool? enabled = null;
        if (body.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            enabled = e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String when bool.TryParse(e.GetString(), out var b) => b,
                _ => throw new PortalValidationException("enabled", "'enabled' must be true or false (a boolean or the strings \"true\"/\"false\")."),
            };
        }

        List<string>? eventTypes = null;
        if (body.TryGetProperty("eventTypes", out var types) && types.ValueKind != JsonValueKind.Null)
        {
            if (types.ValueKind != JsonValueKind.Array || types.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString())))
            {
                throw new PortalValidationException("eventTypes", "'eventTypes' must be an array of event type names.");
            }

            eventTypes = types.EnumerateArray().Select(t => t.GetString()!.Trim()).Distinct(StringComparer.Ordinal).ToList();
        }

        Dictionary<string, string>? headers = null;
        if (body.TryGetProperty("headers", out var h) && h.ValueKind != JsonValueKind.Null)
        {
            if (h.ValueKind != JsonValueKind.Object || h.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
            {
                throw new PortalValidationException("headers", "'headers' must be an object of header names to string values.");
            }

            headers = h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }

        return new WebhookRequest(Text("name"), Text("postURL", "postUrl"), enabled, eventTypes, headers, Text("retrySchedule"));
    }
}
