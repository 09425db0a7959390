namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>What generating tables again would do: DDL to run and, for destructive changes, what is lost.</summary>
public sealed record SchemaMigrationPlan(IReadOnlyList<string> Statements, IReadOnlyList<string> Losses)
{
    public bool IsDestructive => Losses.Count > 0;
}
