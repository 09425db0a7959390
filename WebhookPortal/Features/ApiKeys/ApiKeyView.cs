namespace WebhookPortal.Features.ApiKeys;

/// <summary>A key as listed; <c>IntegrationIds</c> is the scope of a Subscriber key (empty for other roles).</summary>
public sealed record ApiKeyView(Guid Id, string Name, string Role, string Prefix, DateTime Created, string? CreatedBy, DateTime? LastUsed, IReadOnlyList<Guid> IntegrationIds);
