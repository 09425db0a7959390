using System.Data;
using System.Data.Common;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>PostgreSQL: native types, and quoted identifiers compared exactly.</summary>
public sealed class PostgresDialect : SqlDialect
{
    public override string TypeName(ColumnType type) => type switch
    {
        ColumnType.Integer => "bigint",
        ColumnType.Real => "double precision",
        ColumnType.Boolean => "boolean",
        _ => "text",
    };

    public override string CaseInsensitiveLike => "ILIKE";

    public override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    public override string PositionType => "bigint";

    public override StringComparer IdentifierComparer => StringComparer.Ordinal;
}
