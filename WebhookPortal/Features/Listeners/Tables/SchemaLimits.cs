namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>Caps on what one sample may generate (from <see cref="ListenerOptions"/>).</summary>
public sealed record SchemaLimits(int MaxColumns, int MaxTables, int MaxDepth)
{
    public static readonly SchemaLimits Default = new(200, 20, 8);
}
