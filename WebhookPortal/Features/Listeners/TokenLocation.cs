using System.Text.Json.Serialization;

namespace WebhookPortal.Features.Listeners;

/// <summary>Where a System of Record puts the token: a custom header, a query parameter, or <c>Authorization: &lt;prefix&gt; &lt;token&gt;</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TokenLocation>))]
public enum TokenLocation
{
    Header,
    Query,
    Authorization,
}
