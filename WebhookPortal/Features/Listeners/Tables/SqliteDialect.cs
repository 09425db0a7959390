namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>SQLite: type affinities, and identifiers compared without case.</summary>
public sealed class SqliteDialect : SqlDialect
{
    public override string TypeName(ColumnType type) => type switch
    {
        ColumnType.Integer => "INTEGER",
        ColumnType.Real => "REAL",
        ColumnType.Boolean => "INTEGER",
        _ => "TEXT",
    };

    public override string PositionType => "INTEGER";

    public override StringComparer IdentifierComparer => StringComparer.OrdinalIgnoreCase;
}
