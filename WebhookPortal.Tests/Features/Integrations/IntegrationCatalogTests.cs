using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using WebhookPortal.Data;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

/// <summary>
/// The integrations list is kept in memory (issue 17): served without the database until something changes, and
/// dropped by every change made through the portal, by another portal's signal and by its expiry.
/// </summary>
public sealed class IntegrationCatalogTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static Integration Row(string name) => new() { Id = Guid.NewGuid(), Name = name, CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };

    private static async Task<List<string>> NamesAsync(HttpClient client) =>
        (await (await client.GetAsync("/api/integrations")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    [Fact]
    public async Task The_list_is_served_from_memory_and_every_create_update_and_delete_through_the_portal_drops_it()
    {
        var admin = portal.AsAdmin();
        var created = await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Catalog-A" })).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        Assert.Contains("Catalog-A", await NamesAsync(admin));

        // Written behind the portal's back: not seen while the list is kept.
        await portal.WithDbAsync(async db =>
        {
            db.Integrations.Add(Row("Catalog-Behind"));
            return await db.SaveChangesAsync();
        });
        Assert.DoesNotContain("Catalog-Behind", await NamesAsync(admin));

        // A change through the portal reloads the list: the rename and the row written behind it both show.
        await (await admin.PutAsJsonAsync($"/api/integrations/{id}", new { name = "Catalog-A2" })).ReadJsonAsync(HttpStatusCode.OK);
        var afterUpdate = await NamesAsync(admin);
        Assert.Contains("Catalog-A2", afterUpdate);
        Assert.DoesNotContain("Catalog-A", afterUpdate);
        Assert.Contains("Catalog-Behind", afterUpdate);

        await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Catalog-B" })).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Contains("Catalog-B", await NamesAsync(admin));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/integrations/{id}")).StatusCode);
        Assert.DoesNotContain("Catalog-A2", await NamesAsync(admin));

        // Refused changes keep it (and change nothing).
        await (await admin.PostAsJsonAsync("/api/integrations", new { name = "Catalog-B" })).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Single(await NamesAsync(admin), n => n == "Catalog-B");
    }

    [Fact]
    public async Task Another_portals_signal_or_the_expiry_drops_the_list_and_a_load_that_raced_a_change_is_not_kept()
    {
        var signals = new RecordingClusterSignals();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dbFactory = portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var catalog = new IntegrationCatalog(dbFactory, Options.Create(new IntegrationOptions { CacheDuration = TimeSpan.FromSeconds(30) }), clock, signals);
        var first = (await catalog.ListAsync()).Count;

        async Task AddBehindAsync(string name)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            db.Integrations.Add(Row(name));
            await db.SaveChangesAsync();
        }

        await AddBehindAsync("Signal-1");
        Assert.Equal(first, (await catalog.ListAsync()).Count);
        signals.Subscribers["integrations"].OnSignal("changed");
        Assert.Contains(await catalog.ListAsync(), i => i.Name == "Signal-1");

        await AddBehindAsync("Reset-1");
        signals.Subscribers["integrations"].OnReset();
        Assert.Contains(await catalog.ListAsync(), i => i.Name == "Reset-1");

        await AddBehindAsync("Expiry-1");
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.DoesNotContain(await catalog.ListAsync(), i => i.Name == "Expiry-1");
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains(await catalog.ListAsync(), i => i.Name == "Expiry-1");

        // This portal's own change tells the others.
        catalog.Invalidate();
        Assert.Contains(("integrations", "changed"), signals.Published);

        // A change signalled while a load is reading: that load's answer is not kept.
        await AddBehindAsync("Race-1");
        signals.Subscribers["integrations"].OnSignal("changed");
        var racing = catalog.ListAsync();
        signals.Subscribers["integrations"].OnSignal("changed");
        await racing;
        await AddBehindAsync("Race-2");
        Assert.Contains(await catalog.ListAsync(), i => i.Name == "Race-2");
    }
}
