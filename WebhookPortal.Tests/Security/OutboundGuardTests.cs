using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// A portal with no outbound allow-list (the base factory's default), and the one event type and webhook the
/// save paths need, created once.
/// </summary>
public sealed class GuardedPortalFactory : PortalFactory
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private (string EventName, TestWebhook Webhook)? targets;

    public async Task<(string EventName, TestWebhook Webhook)> TargetsAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (targets is null)
            {
                var listener = await this.CreateListenerAsync(sample: """[{"id":1}]""", rootPath: "");
                var name = "Guarded" + Guid.NewGuid().ToString("N")[..6];
                await (await AsAdmin().PostAsJsonAsync($"/api/integrations/{listener.IntegrationId}/event-types", new { name, listenerId = listener.Id, actions = new[] { "insert" } }))
                    .ReadJsonAsync(HttpStatusCode.Created);
                targets = (name, await this.CreateWebhookAsync("https://hooks.example.com/in"));
            }

            return targets.Value;
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>
/// Trust boundary: the receivers of deliveries. The portal calls out only to public addresses: literal
/// addresses are refused when a URL is saved, names when the resolved address is known (connect time); what
/// Support reads about a refusal never names the internal address.
/// </summary>
public sealed class OutboundGuardTests(GuardedPortalFactory portal, DeliveryPortalFactory deliveries)
    : IClassFixture<GuardedPortalFactory>, IClassFixture<DeliveryPortalFactory>
{
    // Issue 14's seen forms first, then the other ranges and spellings; each is an address the portal must not call.
    public static readonly string[] InternalUrls =
    [
        "http://[64:ff9b::a9fe:a9fe]/",                         // cloud metadata through NAT64
        "http://[2002:a9fe:a9fe::]/",                           // cloud metadata inside 6to4
        "http://198.18.0.1/",                                   // benchmarking 198.18.0.0/15
        "http://192.0.0.170/",                                  // IETF protocol block (NAT64 discovery)
        "http://[64:ff9b:1::a00:1]/",                           // local-use NAT64 64:ff9b:1::/48
        "http://[::a9fe:a9fe]/",                                // IPv4-compatible ::/96
        "http://[2001:0:4136:e378:8000:63bf:5601:5601]/",       // Teredo, client 169.254.169.254 (inverted bits)
        "http://[2002:7f00:1::]/",                              // loopback inside 6to4
        "http://[64:ff9b::10.0.0.1]/",                          // private through NAT64
        "http://0.1.2.3/",                                      // 0.0.0.0/8
        "http://240.0.0.1/",                                    // reserved 240.0.0.0/4
        "http://198.19.255.254/",                               // top of 198.18.0.0/15
        "http://192.0.0.192/",                                  // Oracle Cloud metadata
        "http://[::ffff:169.254.169.254]/",                     // IPv4-mapped
        "http://[::ffff:10.0.0.1]/",                            // IPv4-mapped private
        "http://2852039166/",                                   // decimal 169.254.169.254
        "http://0xa9.254.169.254/",                             // hex octet
        "http://0251.0376.0251.0376/",                          // octal
        "http://127.1/",                                        // short form of 127.0.0.1
        "http://127.0.0.1./",                                   // trailing dot
    ];

    public static TheoryData<string, string> SavePaths()
    {
        var data = new TheoryData<string, string>();
        foreach (var place in new[] { "webhook-create", "webhook-update", "subscription", "job-callback" })
        {
            foreach (var url in InternalUrls)
            {
                data.Add(place, url);
            }
        }

        return data;
    }

    [Theory]
    [InlineData("64:ff9b::a9fe:a9fe", "cloud metadata (through NAT64)")]
    [InlineData("2002:a9fe:a9fe::", "cloud metadata (embedded in 6to4)")]
    [InlineData("2002:5db8:d822::", "6to4 (deprecated)")]
    [InlineData("2001:0:4136:e378:8000:63bf:5601:5601", "cloud metadata (embedded in Teredo)")]
    [InlineData("2001:0:4136:e378:8000:63bf:a247:27dd", "Teredo (deprecated)")]
    [InlineData("::a9fe:a9fe", "cloud metadata (embedded in IPv4-compatible)")]
    [InlineData("64:ff9b:1::5db8:d822", "local-use NAT64")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("192.0.0.170", "IETF protocol assignment")]
    [InlineData("192.0.0.192", "cloud metadata")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("255.255.255.255", "broadcast")]
    public void The_guard_names_the_range_and_what_a_transition_address_carries(string address, string reason) =>
        Assert.Equal(reason, UrlGuard.WhyBlocked(IPAddress.Parse(address)));

    [Theory]
    [InlineData("64:ff9b::5db8:d822")] // NAT64 of 93.184.216.34
    [InlineData("198.20.0.1")]
    [InlineData("192.0.1.1")]
    [InlineData("2001:4860:4860::8888")]
    public void Public_addresses_next_to_the_ranges_pass(string address) =>
        Assert.Null(UrlGuard.WhyBlocked(IPAddress.Parse(address)));

    [Fact]
    public void The_save_path_portal_has_no_allow_list_and_the_delivery_portal_allows_only_127_0_0_1()
    {
        Assert.Empty(portal.Services.GetRequiredService<IOptions<OutboundOptions>>().Value.AllowedHosts);
        Assert.Equal(["127.0.0.1"], deliveries.Services.GetRequiredService<IOptions<OutboundOptions>>().Value.AllowedHosts);
    }

    [Theory]
    [MemberData(nameof(SavePaths))]
    public async Task An_internal_address_is_refused_wherever_a_url_is_saved_and_nothing_is_stored(string place, string url)
    {
        var (eventName, webhook) = await portal.TargetsAsync();
        var admin = portal.AsAdmin();
        var before = await CountsAsync(webhook.Id);

        HttpResponseMessage response = place switch
        {
            "webhook-create" => await admin.PostAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks", new { name = "internal", postURL = url }),
            "webhook-update" => await admin.PutAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks/{webhook.Id}", new { name = "hook-" + webhook.Org, postURL = url, enabled = true }),
            "subscription" => await admin.PostAsJsonAsync("/api/hooks/subscriptions", new { @event = eventName, target_url = url }),
            // The callback must be https anyway: the https form proves the guard, not the scheme rule, refuses it.
            _ => await admin.PostAsJsonAsync("/api/backup", new { webhook_url = "https" + url[4..] }),
        };

        var problem = await response.AssertProblemAsync(place.StartsWith("webhook", StringComparison.Ordinal) ? HttpStatusCode.BadRequest : HttpStatusCode.UnprocessableEntity);
        Assert.Contains("non-public address", problem.GetRawText());
        Assert.Equal(before, await CountsAsync(webhook.Id));
    }

    [Theory]
    [InlineData("http://[64:ff9b::93.184.216.34]/hook")]       // NAT64 of a public address: how IPv6-only networks reach IPv4 receivers
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    [InlineData("https://93.184.216.34/hook")]
    [InlineData("https://hooks.example.com/in")]
    public async Task A_public_address_is_still_accepted(string url)
    {
        var (_, webhook) = await portal.TargetsAsync();
        var response = await portal.AsAdmin().PostAsJsonAsync($"/v1/mint/organizations/{webhook.Org}/webhooks", new { name = "public-" + Guid.NewGuid().ToString("N")[..6], postURL = url });
        await response.ReadJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_name_resolving_to_loopback_is_refused_when_connecting_and_Support_never_sees_the_address()
    {
        // The receiver would answer 200: only the guard stands between the portal and it.
        await using var receiver = await LoopbackReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;
        var webhook = await deliveries.CreateWebhookAsync($"http://localhost:{port}/hook");

        await deliveries.PublishAsync(webhook.IntegrationId);

        var delivery = await deliveries.WaitForDeliveryAsync(webhook.Id, DeliveryState.Failed);
        Assert.Equal(1, delivery.AttemptCount);
        Assert.Contains("localhost resolves to a non-public address", delivery.LastError);
        Assert.DoesNotContain("127.0.0.1", delivery.LastError);
        Assert.DoesNotContain("::1", delivery.LastError);

        var support = await deliveries.AsSupportAsync();
        var logs = await (await support.GetAsync($"/api/logs?sourceId={webhook.Id}")).ReadJsonAsync(HttpStatusCode.OK);
        var entry = Assert.Single(logs.GetProperty("items").EnumerateArray());
        var detail = await (await support.GetAsync($"/api/logs/{entry.GetProperty("id").GetInt64()}")).Content.ReadAsStringAsync();
        Assert.Contains("non-public address", detail);
        Assert.DoesNotContain("127.0.0.1", detail);
        Assert.DoesNotContain("::1", detail);
        Assert.Empty(receiver.Requests);
    }

    private async Task<(int Webhooks, int Subscriptions, int Jobs, string? Url)> CountsAsync(Guid webhookId) =>
        await portal.WithDbAsync(async db => (
            await db.Webhooks.CountAsync(),
            await db.Subscriptions.CountAsync(),
            await db.Jobs.CountAsync(),
            await db.Webhooks.Where(w => w.Id == webhookId).Select(w => w.PostUrl).SingleAsync()));
}
