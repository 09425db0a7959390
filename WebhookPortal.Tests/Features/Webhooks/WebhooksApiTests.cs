using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Webhooks;

/// <summary>Seed 003's calls, with its exact bodies, against /v1/mint/organizations/{org}/webhooks.</summary>
public sealed class WebhooksApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<string> OrgAsync()
    {
        var org = "myorg-" + Guid.NewGuid().ToString("N")[..6];
        await portal.CreateIntegrationAsync(org);
        return org;
    }

    private Task<int> CountAsync() => portal.WithDbAsync(db => db.Webhooks.CountAsync());

    [Fact]
    public async Task The_seed_calls_create_get_list_update_enable_and_delete()
    {
        var org = await OrgAsync();
        var admin = portal.AsAdmin();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var created = await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{ "name": "webhook3", "postURL": "http://mycompany.com/callbackhandler3" }""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("webhook3", created.GetProperty("name").GetString());
        Assert.Equal("http://mycompany.com/callbackhandler3", created.GetProperty("postUrl").GetString());
        Assert.False(created.TryGetProperty("postURL", out _));
        Assert.Equal(org, created.GetProperty("orgId").GetString());
        Assert.Equal(PortalFactory.AdminEmail, created.GetProperty("createdBy").GetString());
        Assert.Equal(PortalFactory.AdminEmail, created.GetProperty("updatedBy").GetString());
        Assert.True(created.GetProperty("enabled").GetBoolean());
        var createdAt = created.GetProperty("created").GetInt64();
        Assert.True(createdAt > 1_600_000_000_000, "times are epoch milliseconds");
        Assert.Equal(createdAt, created.GetProperty("updated").GetInt64());
        Assert.False(created.TryGetProperty("secret", out _));

        var one = await (await admin.GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("webhook3", one.GetProperty("name").GetString());

        var list = await (await admin.GetAsync($"/v1/mint/organizations/{org}/webhooks")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("totalRecords").GetInt32());
        Assert.Equal(id, list.GetProperty("webhooks")[0].GetProperty("id").GetGuid());

        var updated = await (await admin.PutAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{ "postURL": "http://mycompany.com/callbackhandler4" }""")))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("http://mycompany.com/callbackhandler4", updated.GetProperty("postUrl").GetString());
        Assert.Equal("webhook3", updated.GetProperty("name").GetString());

        var disabled = await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{ "enabled": "false" }"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        var enabled = await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{ "enabled": true }"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(enabled.GetProperty("enabled").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).StatusCode);
        await (await admin.GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.True(before > 0);
    }

    [Fact]
    public async Task The_seeds_exact_requests_with_their_trailing_space_content_type_work()
    {
        var org = await OrgAsync();
        HttpRequestMessage Seed(HttpMethod method, string path, string? json)
        {
            var request = new HttpRequestMessage(method, $"/v1/mint/organizations/{org}/webhooks{path}");
            if (json is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            }
            else
            {
                request.Content = new ByteArrayContent([]);
            }

            // As the seed's curl sends it: "Content-Type: application/json " (with the space).
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json ");
            return request;
        }

        var admin = portal.AsAdmin();
        var created = await (await admin.SendAsync(Seed(HttpMethod.Post, "", """{ "name": "webhook3", "postURL": "http://mycompany.com/callbackhandler3" }"""))).ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString();
        Assert.Equal("http://mycompany.com/callbackhandler3", created.GetProperty("postUrl").GetString());
        await (await admin.SendAsync(Seed(HttpMethod.Put, "/" + id, """{ "postURL": "http://mycompany.com/callbackhandler4" }"""))).ReadJsonAsync(HttpStatusCode.OK);
        var disabled = await (await admin.SendAsync(Seed(HttpMethod.Post, "/" + id, """{ "enabled": "false" }"""))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        var one = await (await admin.SendAsync(Seed(HttpMethod.Get, "/" + id, null))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("http://mycompany.com/callbackhandler4", one.GetProperty("postUrl").GetString());
        var list = await (await admin.SendAsync(Seed(HttpMethod.Get, "", null))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("totalRecords").GetInt32());
    }

    [Fact]
    public async Task PostUrl_spelling_is_accepted_too_with_event_types_and_headers()
    {
        var org = await OrgAsync();
        var created = await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks",
            Body("""{"name":"w","postUrl":"https://example.com/h","eventTypes":["a.b"],"headers":{"X-Env":"prod"}}"""))).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal("https://example.com/h", created.GetProperty("postUrl").GetString());
        Assert.Equal("a.b", created.GetProperty("eventTypes")[0].GetString());
        Assert.Equal("prod", created.GetProperty("headers").GetProperty("X-Env").GetString());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"postURL":"https://example.com/h"}""", "name" },
        { """{"name":"w"}""", "postUrl" },
        { """{"name":"w","postURL":"not a url"}""", "postUrl" },
        { """{"name":"w","postURL":"ftp://example.com/h"}""", "postUrl" },
        { """{"name":"w","postURL":"http://127.0.0.1/h"}""", "postUrl" },
        { """{"name":"w","postURL":"http://169.254.169.254/latest"}""", "postUrl" },
        { """{"name":"w","postURL":"https://example.com/h","enabled":"maybe"}""", "enabled" },
        { """{"name":"w","postURL":"https://example.com/h","eventTypes":"a"}""", "eventTypes" },
        { """{"name":"w","postURL":"https://example.com/h","headers":{"webhook-signature":"x"}}""", "headers" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_are_400_naming_the_field_and_store_nothing(string body, string field)
    {
        var org = await OrgAsync();
        var before = await CountAsync();

        var problem = await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body(body))).AssertProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Enabling_without_the_enabled_field_is_400()
    {
        var org = await OrgAsync();
        var id = (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"w","postURL":"https://example.com/h"}"""))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("{}"))).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_org_or_id_is_404()
    {
        var org = await OrgAsync();
        var admin = portal.AsAdmin();
        await (await admin.GetAsync("/v1/mint/organizations/no-such-org/webhooks")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PostAsync("/v1/mint/organizations/no-such-org/webhooks", Body("""{"name":"w","postURL":"https://example.com/h"}"""))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.GetAsync($"/v1/mint/organizations/{org}/webhooks/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.PutAsync($"/v1/mint/organizations/{org}/webhooks/{Guid.NewGuid()}", Body("""{"name":"x"}"""))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await admin.DeleteAsync($"/v1/mint/organizations/{org}/webhooks/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_webhook_of_another_org_is_404_through_this_org()
    {
        var org = await OrgAsync();
        var other = await OrgAsync();
        var id = (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"w","postURL":"https://example.com/h"}"""))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{other}/webhooks/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.AsAdmin().DeleteAsync($"/v1/mint/organizations/{other}/webhooks/{id}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.True(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == id)));
    }

    [Fact]
    public async Task ForceDelete_false_with_pending_deliveries_is_409_and_true_cancels_them()
    {
        var org = await OrgAsync();
        var admin = portal.AsAdmin();
        var id = (await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"w","postURL":"https://example.invalid/h"}"""))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await portal.WithDbAsync(async db =>
        {
            var message = new Message { Id = Guid.NewGuid(), EventType = "e", Payload = "{}", CreatedUtc = DateTime.UtcNow };
            db.Messages.Add(message);
            db.Deliveries.Add(new Delivery
            {
                Id = Guid.NewGuid(), MessageId = message.Id, TargetKind = DeliveryTargetKind.Webhook, TargetId = id, TargetName = "w", Url = "https://example.invalid/h",
                NextAttemptUtc = DateTime.UtcNow.AddHours(1), CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow,
            });
            return await db.SaveChangesAsync();
        });

        await (await admin.DeleteAsync($"/v1/mint/organizations/{org}/webhooks/{id}?forceDelete=false")).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.True(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == id)));
        Assert.Equal(DeliveryState.Pending, await portal.WithDbAsync(db => db.Deliveries.Where(d => d.TargetId == id).Select(d => d.State).SingleAsync()));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/mint/organizations/{org}/webhooks/{id}?forceDelete=true")).StatusCode);
        Assert.False(await portal.WithDbAsync(db => db.Webhooks.AnyAsync(w => w.Id == id)));
        Assert.Equal(DeliveryState.Cancelled, await portal.WithDbAsync(db => db.Deliveries.Where(d => d.TargetId == id).Select(d => d.State).SingleAsync()));
    }

    [Fact]
    public async Task The_secret_is_protected_at_rest_admin_only_and_rotates()
    {
        var org = await OrgAsync();
        var id = (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"w","postURL":"https://example.com/h"}"""))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        var secret = (await (await portal.AsAdmin().GetAsync($"/api/webhooks/{id}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        var stored = await portal.WithDbAsync(db => db.Webhooks.Where(w => w.Id == id).Select(w => w.ProtectedSecret).SingleAsync());
        Assert.DoesNotContain(secret["whsec_".Length..], stored);

        var support = await portal.AsSupportAsync();
        await (await support.GetAsync($"/api/webhooks/{id}/secret")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/api/webhooks/{id}/secret/rotate", null)).AssertProblemAsync(HttpStatusCode.Forbidden);

        var rotated = (await (await portal.AsAdmin().PostAsync($"/api/webhooks/{id}/secret/rotate", null)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString();
        Assert.NotEqual(secret, rotated);
        Assert.Equal(rotated, (await (await portal.AsAdmin().GetAsync($"/api/webhooks/{id}/secret")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("secret").GetString());
    }

    [Fact]
    public async Task Support_reads_webhooks_but_every_write_is_403()
    {
        var org = await OrgAsync();
        var id = (await (await portal.AsAdmin().PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"w","postURL":"https://example.com/h"}"""))).ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var integrationId = (await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("integrationId").GetGuid();
        var support = await portal.AsSupportAsync();
        var before = await CountAsync();

        await (await support.GetAsync($"/v1/mint/organizations/{org}/webhooks")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.GetAsync("/api/deliveries")).ReadJsonAsync(HttpStatusCode.OK);
        await (await support.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"s","postURL":"https://example.com/h"}"""))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PutAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{"name":"s"}"""))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/v1/mint/organizations/{org}/webhooks/{id}", Body("""{"enabled":"false"}"""))).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.DeleteAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await support.PostAsync($"/api/integrations/{integrationId}/messages", Body("""{"eventType":"e","payload":{}}"""))).AssertProblemAsync(HttpStatusCode.Forbidden);
        // Support may redeliver (SPEC: "Support may read and redeliver/replay"): an unknown delivery is simply not found.
        await (await support.PostAsync($"/api/deliveries/{Guid.NewGuid()}/redeliver", null)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before, await CountAsync());
        Assert.True((await (await portal.AsAdmin().GetAsync($"/v1/mint/organizations/{org}/webhooks/{id}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("enabled").GetBoolean());
    }

    [Theory]
    [InlineData("""{"payload":{}}""", "eventType")]
    [InlineData("""{"eventType":"e"}""", "payload")]
    public async Task Publishing_without_an_event_type_or_payload_is_400_and_stores_no_message(string body, string field)
    {
        var integrationId = await portal.CreateIntegrationAsync();
        var before = await portal.WithDbAsync(db => db.Messages.CountAsync());
        var problem = await (await portal.AsAdmin().PostAsync($"/api/integrations/{integrationId}/messages", Body(body))).AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(before, await portal.WithDbAsync(db => db.Messages.CountAsync()));
    }

    [Fact]
    public async Task Publishing_to_an_unknown_integration_is_404_and_anonymous_is_401()
    {
        await (await portal.AsAdmin().PostAsync($"/api/integrations/{Guid.NewGuid()}/messages", Body("""{"eventType":"e","payload":{}}"""))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await portal.Anonymous().GetAsync("/v1/mint/organizations/x/webhooks")).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Publishing_records_the_message_and_one_pending_delivery_per_matching_enabled_webhook_before_sending()
    {
        var org = await OrgAsync();
        var admin = portal.AsAdmin();
        // example.invalid never resolves, so nothing is delivered during this test; only the outbox is checked.
        await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"a","postURL":"https://a.example.invalid/h"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"b","postURL":"https://b.example.invalid/h","eventTypes":["other"]}"""))).ReadJsonAsync(HttpStatusCode.Created);
        await (await admin.PostAsync($"/v1/mint/organizations/{org}/webhooks", Body("""{"name":"c","postURL":"https://c.example.invalid/h","enabled":false}"""))).ReadJsonAsync(HttpStatusCode.Created);
        var integrationId = (await (await admin.GetAsync($"/v1/mint/organizations/{org}/webhooks")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("webhooks")[0].GetProperty("integrationId").GetGuid();

        var published = await (await admin.PostAsync($"/api/integrations/{integrationId}/messages", Body("""{"eventType":"order.created","payload":{"id":1}}"""))).ReadJsonAsync(HttpStatusCode.Accepted);

        var messageId = published.GetProperty("id").GetGuid();
        var deliveries = await portal.WithDbAsync(db => db.Deliveries.Where(d => d.MessageId == messageId).ToListAsync());
        Assert.Equal(["a"], deliveries.Select(d => d.TargetName).ToArray());
        Assert.Equal("""{"id":1}""", await portal.WithDbAsync(db => db.Messages.Where(m => m.Id == messageId).Select(m => m.Payload).SingleAsync()));
    }
}
