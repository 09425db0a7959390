using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Notifications;

/// <summary>Week and month periods end where the calendar says, on the portal's own clock (fake here).</summary>
public sealed class NotificationPeriodTests
{
    // The fake clock starts on Monday 2026-11-23 12:00 UTC.
    [Theory]
    [InlineData("Week", "2026-11-29T23:59:00Z", "2026-11-30T00:00:01Z", "2026-11-23", "2026-11-30")]
    [InlineData("Month", "2026-11-30T23:59:00Z", "2026-12-01T00:00:01Z", "2026-11-01", "2026-12-01")]
    public async Task A_threshold_fires_once_per_period_and_again_when_the_next_one_starts(string period, string lastMomentOfPeriod, string firstMomentOfNext, string firstStart, string secondStart)
    {
        using var portal = new PortalFactory();
        var listener = await portal.CreateListenerAsync();
        var admin = portal.AsAdmin();
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var webhookId = (await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "usage", postURL = "https://usage.example.invalid/cb" })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var ruleId = (await (await admin.PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/notification-rules", new
        {
            name = "quota", listenerId = listener.Id, target = 1, period, conditions = new[] { new { from = 100 } }, webhookIds = new[] { webhookId }, enabled = true,
        })).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var id = 0;
        async Task PostAsync() => await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, $"{{\"data\":{{\"items\":{{\"id\":{++id}}}}}}}"))).ReadJsonAsync(HttpStatusCode.OK);
        Task<List<DateTime>> FiredAsync() => portal.WithDbAsync(db => db.RuleFirings.Where(f => f.RuleId == ruleId).OrderBy(f => f.PeriodStart).Select(f => f.PeriodStart).ToListAsync());

        await PostAsync();
        portal.Clock.SetUtcNow(DateTimeOffset.Parse(lastMomentOfPeriod, System.Globalization.CultureInfo.InvariantCulture));
        await PostAsync();
        Assert.Single(await FiredAsync());

        portal.Clock.SetUtcNow(DateTimeOffset.Parse(firstMomentOfNext, System.Globalization.CultureInfo.InvariantCulture));
        await PostAsync();

        var starts = await FiredAsync();
        Assert.Equal([DateTime.Parse(firstStart, System.Globalization.CultureInfo.InvariantCulture), DateTime.Parse(secondStart, System.Globalization.CultureInfo.InvariantCulture)], starts.Select(s => s.Date).ToArray());
        var counts = await portal.WithDbAsync(db => db.RuleUsage.Where(u => u.RuleId == ruleId).OrderBy(u => u.PeriodStart).Select(u => u.Count).ToListAsync());
        Assert.Equal([2L, 1L], counts);
    }
}
