using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;
using static WebhookPortal.Tests.Support.ListenerFixtures;

namespace WebhookPortal.Tests.Features.Notifications;

/// <summary>Seed 003's notification-condition example, sent to /v1/mint/organizations/{org}/notification-conditions, makes a rule that fires.</summary>
public sealed class MintSeedExampleTests(MintSeedExampleTests.Portal portal) : IClassFixture<MintSeedExampleTests.Portal>
{
    /// <summary>Real time and the loopback receiver; the vendor's body has no target, so the default one is made small.</summary>
    public sealed class Portal : DeliveryPortalFactory
    {
        protected override void ConfigurePortal(IWebHostBuilder builder)
        {
            base.ConfigurePortal(builder);
            builder.UseSetting("Notifications:Mint:DefaultTarget", "10");
        }
    }

    /// <summary>The seed's example as printed: a stray '}' after the UsageTarget condition, and a trailing comma in the action.</summary>
    private const string SeedExampleAsPrinted =
        """{ "notificationCondition": [ { "attribute": "RATEPLAN", "value": "123456" }, { "attribute": "PUBLISHED", "value": "TRUE" }, { "attribute": "UsageTarget", "value": "%= 80 to 120 by 10" } } ], "actions": [{ "actionAttribute": "WEBHOOK", "value": "b0d77596-142e-4606-ae2d-f55c3c6bfebe", }] }""";

    /// <summary>The same with only the stray brace removed; the trailing comma stays.</summary>
    private const string SeedExample =
        """{ "notificationCondition": [ { "attribute": "RATEPLAN", "value": "123456" }, { "attribute": "PUBLISHED", "value": "TRUE" }, { "attribute": "UsageTarget", "value": "%= 80 to 120 by 10" } ], "actions": [{ "actionAttribute": "WEBHOOK", "value": "b0d77596-142e-4606-ae2d-f55c3c6bfebe", }] }""";

    private static readonly Guid SeedWebhookId = Guid.Parse("b0d77596-142e-4606-ae2d-f55c3c6bfebe");

    private static StringContent JsonText(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task The_seeds_example_body_creates_a_rule_that_fires_at_80_to_120_percent()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        // RATEPLAN "123456" names the listener the rule counts; the action names the seed's webhook id.
        var listener = await portal.CreateListenerAsync(name: "123456");
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var admin = portal.AsAdmin();
        var created = (await (await admin.PostAsJsonAsync($"/v1/mint/organizations/{org}/webhooks", new { name = "seed-hook", postURL = receiver.Url("/usage") }))
            .ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await GiveWebhookTheSeedsIdAsync(created);

        var response = await admin.PostAsync($"/v1/mint/organizations/{org}/notification-conditions", JsonText(SeedExample));

        var condition = await response.ReadJsonAsync(HttpStatusCode.Created);
        var ruleId = condition.GetProperty("id").GetGuid();
        Assert.Equal($"/v1/mint/organizations/{org}/notification-conditions/{ruleId}", response.Headers.Location?.OriginalString);
        Assert.Equal(
            [("RATEPLAN", "123456"), ("PUBLISHED", "TRUE"), ("UsageTarget", "%= 80 to 120 by 10")],
            condition.GetProperty("notificationCondition").EnumerateArray().Select(a => (a.GetProperty("attribute").GetString(), a.GetProperty("value").GetString())).ToArray());
        Assert.Equal(("WEBHOOK", SeedWebhookId.ToString()), condition.GetProperty("actions").EnumerateArray().Select(a => (a.GetProperty("actionAttribute").GetString(), a.GetProperty("value").GetString())).Single());
        Assert.Equal(listener.Id, condition.GetProperty("listenerId").GetGuid());
        Assert.Equal(10, condition.GetProperty("target").GetInt64());

        // Target 10: requests 8 … 12 cross 80 % … 120 %; each threshold calls the webhook once.
        for (var i = 1; i <= 12; i++)
        {
            await (await portal.Anonymous().SendAsync(Json(HttpMethod.Post, listener.HookPath, "{\"data\":{\"items\":{\"id\":" + i + "}}}"))).ReadJsonAsync(HttpStatusCode.OK);
        }

        var callbacks = (await receiver.WaitForAsync(5, TimeSpan.FromSeconds(30))).Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.All(callbacks, c => Assert.Equal(ruleId, c.GetProperty("ruleId").GetGuid()));
        Assert.All(callbacks, c => Assert.Equal(org, c.GetProperty("orgName").GetString()));
        Assert.Equal([80m, 90m, 100m, 110m, 120m], callbacks.Select(c => c.GetProperty("quotaPercentUsed").GetDecimal()).Order().ToArray());
        Assert.Equal([8L, 9L, 10L, 11L, 12L], callbacks.Select(c => c.GetProperty("count").GetInt64()).Order().ToArray());
        Assert.All(receiver.Requests, r => Assert.Equal("/usage", r.PathAndQuery));
        await Eventually.TrueAsync(
            async () => await portal.WithDbAsync(db => db.Deliveries.CountAsync(d => d.TargetId == SeedWebhookId && d.State == WebhookPortal.Features.Deliveries.DeliveryState.Delivered)) == 5,
            "five deliveries recorded as delivered");
    }

    [Fact]
    public async Task The_seeds_example_as_printed_is_a_400_that_points_at_the_stray_brace_and_stores_nothing()
    {
        var listener = await portal.CreateListenerAsync(name: "123456");
        var org = await portal.IntegrationNameAsync(listener.IntegrationId);
        var before = await portal.WithDbAsync(db => db.NotificationRules.CountAsync());

        var problem = await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/notification-conditions", JsonText(SeedExampleAsPrinted)))
            .AssertProblemAsync(HttpStatusCode.BadRequest);

        var strayBrace = SeedExampleAsPrinted.IndexOf("} } ]", StringComparison.Ordinal) + 2;
        Assert.Equal(1, problem.GetProperty("line").GetInt64());
        Assert.Equal(strayBrace + 1, problem.GetProperty("position").GetInt64());
        Assert.StartsWith($"Line 1, position {strayBrace + 1}:", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await portal.WithDbAsync(db => db.NotificationRules.CountAsync()));
    }

    // The mint webhooks API makes its own ids: the copy takes the seed's, with the same URL and secret.
    private Task GiveWebhookTheSeedsIdAsync(Guid created) => portal.WithDbAsync(async db =>
    {
        var copy = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == created);
        db.Webhooks.Remove(await db.Webhooks.SingleAsync(w => w.Id == created));
        copy.Id = SeedWebhookId;
        db.Webhooks.Add(copy);
        return await db.SaveChangesAsync();
    });
}
