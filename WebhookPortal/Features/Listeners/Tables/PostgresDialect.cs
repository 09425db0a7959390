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

    public override string LockForUpdate => " FOR UPDATE";

    // xmax is 0 on a row version this statement inserted, and the locking transaction's id on one it updated.
    public override string? ReturningInserted => " RETURNING (xmax = 0)";

    public override StringComparer IdentifierComparer => StringComparer.Ordinal;
}
