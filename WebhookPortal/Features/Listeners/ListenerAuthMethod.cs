using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners;

[JsonConverter(typeof(JsonStringEnumConverter<ListenerAuthMethod>))]
public enum ListenerAuthMethod
{
    None,
    Token,
}
