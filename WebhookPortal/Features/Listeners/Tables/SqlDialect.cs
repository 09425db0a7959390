using System.Data.Common;

namespace WebhookPortal.Features.Listeners.Tables;

/// <summary>
/// The little SQL that differs between providers. Identifiers are sanitised by inference and quoted
/// here as well, so no payload text ever reaches SQL except as a parameter.
/// </summary>
public abstract class SqlDialect
{
    public static SqlDialect For(bool isSqlite) => isSqlite ? new SqliteDialect() : new PostgresDialect();

    public string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public abstract string TypeName(ColumnType type);

    public abstract string PositionType { get; }

    /// <summary>The operator that matches a pattern without regard to case (SQLite's LIKE already ignores ASCII case).</summary>
    public abstract string CaseInsensitiveLike { get; }

    /// <summary>A read-only transaction that sees one snapshot of the data and blocks no writer (for exports read in batches).</summary>
    public abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct);

    /// <summary>
    /// Appended to a SELECT of one row that is about to be changed: on PostgreSQL, where several portals may write
    /// the same record at once, it locks the row until the transaction ends. SQLite has one writer at a time.
    /// </summary>
    public abstract string LockForUpdate { get; }

    /// <summary>
    /// Appended to the root row's upsert so that it answers whether it inserted (true) or updated (false); null when
    /// the database cannot tell, and the writer asks first (safe on SQLite, whose writer holds the database's only lock).
    /// </summary>
    public abstract string? ReturningInserted { get; }

    /// <summary>How the database compares quoted identifiers: SQLite ignores case, PostgreSQL does not.</summary>
    public abstract StringComparer IdentifierComparer { get; }

    /// <summary>Physical table name, namespaced per listener (≤ 63 characters, PostgreSQL's limit).</summary>
    public static string PhysicalName(Guid listenerId, string table) => $"l{listenerId:N}"[..13] + "_" + table;
}
