using System.Data.Common;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>What one request asks the writer to do inside the shared transaction.</summary>
public sealed class WriteContext(PortalDbContext db, DbConnection connection, DbTransaction transaction, SqlDialect dialect)
{
    public PortalDbContext Db { get; } = db;

    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    public SqlDialect Dialect { get; } = dialect;

    /// <summary>Prepared commands shared by the items of the batch (same transaction).</summary>
    public CommandCache Commands { get; } = new();

    /// <summary>Root-record changes of the current item (data tracking), handed to event types once it succeeds.</summary>
    public List<RecordChange> Changes { get; } = [];
}
