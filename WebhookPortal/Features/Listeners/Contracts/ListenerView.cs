using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A listener as the API and the pages show it, with its receiving URL.</summary>
/// <param name="ExampleBody">A body this listener accepts as configured (from its sample and root path), for the example request.</param>
public sealed record ListenerView(
    Guid Id, Guid IntegrationId, string Name, bool Enabled, string Url, ListenerAuthView Auth, int? RetentionDays,
    TableSchema? Tables, DateTime Created, DateTime Updated, string? Script = null, string ExampleBody = ListenerExample.Fallback,
    string? IdempotencyHeader = null, string IdempotencyWindow = "1.00:00:00", ListenerHandshake Handshake = ListenerHandshake.None, bool HasVerifyToken = false);
