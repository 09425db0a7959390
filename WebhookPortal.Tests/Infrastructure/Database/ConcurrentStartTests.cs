using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Infrastructure.Database;

/// <summary>Several portals started at once on a new database (a cluster's first start): one migrates and seeds, none fails.</summary>
public sealed class ConcurrentStartTests
{
    [Fact]
    public async Task Three_portals_starting_at_once_on_a_new_database_all_start_and_seed_one_administrator_and_each_role_once()
    {
        await using var first = new PortalFactory();
        await using var second = new PortalFactory(first.Directory);
        await using var third = new PortalFactory(first.Directory);

        // Touching Services builds and starts each host, which migrates and seeds before it serves.
        await Task.WhenAll(new[] { first, second, third }.Select(p => Task.Run(() => p.Services)));

        foreach (var portal in new[] { first, second, third })
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await portal.AsAdmin().GetAsync("/api/integrations")).StatusCode);
        }

        Assert.Equal(1, await first.WithDbAsync(db => db.Users.CountAsync(u => u.NormalizedEmail == PortalFactory.AdminEmail.ToUpperInvariant())));
        var roles = await first.WithDbAsync(db => db.Roles.Select(r => r.NormalizedName!).ToListAsync());
        Assert.Equal(roles.Distinct().Count(), roles.Count);
        Assert.Contains("ADMIN", roles);
    }
}
