namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>The tables generated, the DDL that ran and the data it lost (when confirmed).</summary>
public sealed record TablesResponse(IReadOnlyList<TableView> Tables, IReadOnlyList<string> Statements, IReadOnlyList<string> Losses);
