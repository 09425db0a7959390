using System.Data.Common;
using Microsoft.Data.Sqlite;

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

    public override string CaseInsensitiveLike => "LIKE";

    // Deferred: the snapshot starts at the first read and takes no write lock (WAL readers never wait for writers).
    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override string PositionType => "INTEGER";

    public override string LockForUpdate => "";

    public override string? ReturningInserted => null;

    public override StringComparer IdentifierComparer => StringComparer.OrdinalIgnoreCase;
}
