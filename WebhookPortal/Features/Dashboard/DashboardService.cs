using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Dashboard;

public sealed class DashboardService(IDbContextFactory<PortalDbContext> dbFactory)
{
    public async Task<DashboardSummaryView> GetSummaryAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return new(
            await db.Integrations.CountAsync(ct),
            await db.Users.CountAsync(ct),
            await db.ApiKeys.CountAsync(ct),
            db.Database.IsSqlite() ? "SQLite" : "PostgreSQL");
    }
}
