using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners;

[JsonConverter(typeof(JsonStringEnumConverter<ListenerAuthMethod>))]
public enum ListenerAuthMethod
{
    None,
    Token,
}
