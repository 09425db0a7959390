using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners.Tables;

[JsonConverter(typeof(JsonStringEnumConverter<ColumnType>))]
public enum ColumnType
{
    Integer,
    Real,
    Boolean,
    Text,
    Timestamp,
}
