using System.Text.Json;
using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Infrastructure.Http;

/// <summary>
/// An input whose update is partial: a field left out of the JSON keeps its value ("omitted = unchanged",
/// the rule for every PUT of the portal). <see cref="Sent"/> holds the top-level fields the JSON carried;
/// null means every field was given (the pages send the whole form).
/// </summary>
public interface IPartialInput
{
    IReadOnlySet<string>? Sent { get; set; }
}

public static class UpdateBody
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>True when the field was in the request (or the whole object was given).</summary>
    public static bool Has(this IPartialInput input, string field) => input.Sent is null || input.Sent.Contains(field);

    /// <summary>Reads an update body and remembers which fields it carried; unreadable JSON is a 400.</summary>
    public static T Read<T>(JsonElement body)
        where T : class, IPartialInput
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new PortalValidationException("body", "The body must be a JSON object.");
        }

        T? input;
        try
        {
            input = body.Deserialize<T>(Options);
        }
        catch (JsonException ex)
        {
            throw new PortalValidationException(string.IsNullOrEmpty(ex.Path) ? "body" : ex.Path.TrimStart('$', '.'), "The value cannot be read: " + ex.Message);
        }

        input!.Sent = body.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return input;
    }
}
