namespace WebhookPortal.Features.ApiKeys;

/// <summary><c>integrationIds</c>: required for a Subscriber key (the integrations whose events it may subscribe to), refused for other roles.</summary>
public sealed record CreateApiKeyRequest(string? Name, string? Role, List<Guid>? IntegrationIds = null);
