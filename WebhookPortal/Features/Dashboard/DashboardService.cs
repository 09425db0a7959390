using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;

namespace WebhookPortal.Features.Dashboard;

public sealed record DashboardSummary(int Integrations, int Users, int ApiKeys, string DatabaseProvider);

public sealed class DashboardService(PortalDbContext db)
{
    public async Task<DashboardSummary> GetSummaryAsync(CancellationToken ct = default) =>
        new(
            await db.Integrations.CountAsync(ct),
            await db.Users.CountAsync(ct),
            await db.ApiKeys.CountAsync(ct),
            db.Database.IsSqlite() ? "SQLite" : "PostgreSQL");
}
