using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners;

/// <summary>Where a System of Record puts the token: a custom header, a query parameter, or <c>Authorization: &lt;prefix&gt; &lt;token&gt;</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TokenLocation>))]
public enum TokenLocation
{
    Header,
    Query,
    Authorization,
}
