using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;
using static WebhookPortal.Features.Listeners.ListenerPersistence;

namespace WebhookPortal.Features.Listeners;

/// <summary>A listener's stored records, a page at a time, for the records API, the Data tab and backups.</summary>
public sealed class ListenerRecords(IDbContextFactory<PortalDbContext> dbFactory)
{
    public async Task<RecordsPageResponse> GetRecordsAsync(Guid id, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var errors = new Dictionary<string, string[]>();
        if (page < 1)
        {
            errors["page"] = ["The page starts at 1."];
        }

        if (pageSize is < 1 or > 500)
        {
            errors["pageSize"] = ["The page size must be between 1 and 500."];
        }

        if (errors.Count > 0)
        {
            throw new PortalValidationException(errors);
        }

        var listener = await FindAsync(db, id, ct);
        var schema = listener.GetSchema();
        if (schema is null)
        {
            return new RecordsPageResponse(0, []);
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var store = new RecordReader(db.Database.GetDbConnection(), null, SqlDialect.For(db.Database.IsSqlite()), id, schema);
            var (total, items) = await store.ReadPageAsync(page, pageSize, ct);
            return new RecordsPageResponse(total, items);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
