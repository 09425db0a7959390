using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Tests.Support;

/// <summary>The tables that really exist in the portal's database, on SQLite or PostgreSQL.</summary>
public static class PhysicalTables
{
    public static Task<List<string>> NamesAsync(PortalDbContext db) => db.Database.IsNpgsql()
        ? db.Database.SqlQueryRaw<string>("SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'").ToListAsync()
        : db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table'").ToListAsync();
}
