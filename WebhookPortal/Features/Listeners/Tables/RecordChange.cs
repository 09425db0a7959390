using System.Text.Json.Nodes;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>A change to a root record, as data tracking reports it: the record has the records API's shape.</summary>
public sealed record RecordChange(string Action, JsonObject Record);
