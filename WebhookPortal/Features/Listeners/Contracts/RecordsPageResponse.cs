using System.Text.Json.Nodes;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>A page of stored records, newest first, with the total count.</summary>
public sealed record RecordsPageResponse(long Total, IReadOnlyList<JsonObject> Items);
