namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>A value that does not fit its column, or a missing key: 422 naming the field.</summary>
public sealed class RecordValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
