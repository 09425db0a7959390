namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>Counts of one write, as the receiver answers them.</summary>
public sealed record WriteSummary(int Inserted, int Updated, int Deleted)
{
    public static readonly WriteSummary None = new(0, 0, 0);

    public WriteSummary Add(WriteSummary other) => new(Inserted + other.Inserted, Updated + other.Updated, Deleted + other.Deleted);
}
