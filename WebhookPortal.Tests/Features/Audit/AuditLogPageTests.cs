using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Audit;
using WebhookPortal.Features.Audit.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Audit;

public sealed class AuditLogPageTests : PortalComponentTest
{
    public AuditLogPageTests() => Services.AddScoped<AuditService>();

    private async Task SeedAsync()
    {
        await using var db = Database.CreateContext();
        db.AuditEntries.AddRange(
            new AuditEntry
            {
                TimeUtc = new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc), ActorKind = AuditActorKinds.User, ActorId = "u1", ActorName = "admin@test.local", Address = "203.0.113.7",
                Action = "integration.created", ResourceType = AuditResources.Integration, ResourceId = "i1", ResourceName = "CRM", Summary = "Created integration 'CRM'", After = """{"name":"CRM"}""",
            },
            new AuditEntry
            {
                TimeUtc = new DateTime(2026, 1, 11, 9, 0, 0, DateTimeKind.Utc), ActorKind = AuditActorKinds.User, ActorId = "u1", ActorName = "admin@test.local", Address = "203.0.113.7",
                Action = "listener.auth_changed", ResourceType = AuditResources.Listener, ResourceId = "l1", ResourceName = "Orders", Severity = AuditSeverity.Warning,
                Summary = "authMethod: Token → None", Before = """{"authMethod":"Token","tokenHash":"[redacted]"}""", After = """{"authMethod":"None","tokenHash":null}""",
            },
            new AuditEntry
            {
                TimeUtc = new DateTime(2026, 1, 12, 9, 0, 0, DateTimeKind.Utc), ActorKind = AuditActorKinds.ApiKey, ActorId = "k1", ActorName = "ci-key", Address = "198.51.100.4",
                Action = "webhook.disabled", ResourceType = AuditResources.Webhook, ResourceId = "w1", ResourceName = "quota-hook", Summary = "enabled: true → false",
                Before = """{"enabled":true}""", After = """{"enabled":false}""",
            });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Lists_entries_newest_first_and_highlights_warnings()
    {
        await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<AuditLogPage>();

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=audit-table] tbody tr").Count));
        var rows = cut.FindAll("[data-testid=audit-table] tbody tr");
        Assert.Contains("quota-hook", rows[0].TextContent);
        Assert.Contains("ci-key", rows[0].TextContent);
        Assert.Contains("audit-warning", rows[1].ClassName);
        Assert.DoesNotContain("audit-warning", rows[0].ClassName ?? "");
        Assert.Equal(["webhook.disabled", "listener.auth_changed", "integration.created"], cut.FindAll("[data-testid=audit-action]").Select(c => c.TextContent.Trim()).ToArray());
    }

    [Fact]
    public async Task Filters_come_from_the_url_change_the_query_and_the_export_link()
    {
        await SeedAsync();
        SignInAsAdmin();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?actor=admin&resource=listener&action=listener&from=2026-01-01&to=2026-01-31&q=orders");
        var cut = RenderWithProviders<AuditLogPage>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=audit-table] tbody tr")));
        var page = cut.FindComponent<AuditLogPage>().Instance;
        var query = page.CurrentQuery(1, 50);
        Assert.Equal("admin", query.Actor);
        Assert.Equal("listener", query.Resource);
        Assert.Equal("listener", query.Action);
        Assert.Equal("orders", query.Q);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), query.From);
        Assert.Equal(new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(-1), query.To);

        var csv = page.ExportUrl("csv");
        Assert.StartsWith("audit/export?format=csv", csv);
        Assert.Contains("actor=admin", csv);
        Assert.Contains("resource=listener", csv);
        Assert.Contains("q=orders", csv);
        Assert.Contains("from=2026-01-01T00%3A00%3A00", csv);
        Assert.StartsWith("audit/export?format=json", page.ExportUrl("json"));
    }

    [Fact]
    public async Task Changing_a_filter_puts_it_in_the_url_and_back_to_page_one()
    {
        await SeedAsync();
        SignInAsAdmin();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?page=2");
        var cut = RenderWithProviders<AuditLogPage>();

        var resource = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Resource");
        await cut.InvokeAsync(() => resource.Instance.ValueChanged.InvokeAsync(AuditResources.Webhook));
        var navigation = Services.GetRequiredService<NavigationManager>();
        Assert.Contains("resource=webhook", navigation.Uri);
        Assert.DoesNotContain("page=", navigation.Uri);

        var actor = cut.FindComponents<MudTextField<string>>().Single(s => s.Instance.Label == "Who (email or key)");
        await cut.InvokeAsync(() => actor.Instance.ValueChanged.InvokeAsync("ci-key"));
        Assert.Contains("actor=ci-key", navigation.Uri);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=audit-table] tbody tr")));
        Assert.Equal("webhook", cut.FindComponent<AuditLogPage>().Instance.CurrentQuery(1, 50).Resource);
    }

    [Fact]
    public async Task The_detail_shows_the_before_and_after_of_each_changed_field()
    {
        await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<AuditLogPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=audit-table] tbody tr").Count));

        cut.FindAll("[data-testid=audit-table] tbody tr")[1].Click();

        cut.WaitForAssertion(() => cut.Find("[data-testid=audit-diff]"));
        var rows = cut.FindAll("[data-testid=diff-row]");
        Assert.Equal(2, rows.Count);
        Assert.Contains("authMethod", rows[0].TextContent);
        Assert.Equal("\"Token\"", rows[0].QuerySelector(".audit-before")!.TextContent.Trim());
        Assert.Equal("\"None\"", rows[0].QuerySelector(".audit-after")!.TextContent.Trim());
        Assert.Contains("[redacted]", rows[1].TextContent);
        var detail = cut.Find("[data-testid=audit-detail]").TextContent;
        Assert.Contains("203.0.113.7", detail);
        Assert.Contains("admin@test.local", detail);
        Assert.Contains("security-relevant", detail);
    }

    [Fact]
    public void Shows_an_empty_state_when_nothing_was_recorded()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<AuditLogPage>();

        cut.WaitForAssertion(() => Assert.Contains("Nothing has been changed yet", cut.Find("[data-testid=audit-empty]").TextContent));
    }

    [Fact]
    public async Task Support_gets_nothing_from_the_service()
    {
        await SeedAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<AuditLogPage>();

        // The page's policy keeps Support out in the app; the service refuses too, so no row can leak.
        cut.WaitForAssertion(() => cut.Find("[data-testid=audit-empty]"));
        Assert.Empty(cut.FindAll("[data-testid=audit-action]"));
    }
}
