namespace WebhookPortal.Features.ApiKeys;

/// <summary>A key just created: the only answer that carries the key itself (only its hash is stored).</summary>
public sealed record CreatedApiKeyResponse(Guid Id, string Name, string Role, string Key, IReadOnlyList<Guid> IntegrationIds);
