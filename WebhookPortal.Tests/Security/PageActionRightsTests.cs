using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Events.Pages;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Jobs.Pages;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Logs.Pages;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: Admin / Support on the pages. A page offers only what the server would allow, and an open
/// page acts with the signed-in user's rights at the moment of the action, not those it had when it opened.
/// </summary>
public sealed class PageActionRightsTests : PortalComponentTest
{
    public PageActionRightsTests()
    {
        Services.AddLogging();
        Services.AddDataProtection();
        Services.AddAuthentication();
        Services.AddIdentityCore<ApplicationUser>().AddRoles<IdentityRole>().AddEntityFrameworkStores<PortalDbContext>().AddSignInManager().AddDefaultTokenProviders();
        Services.AddOptions<JobOptions>();
        Services.AddScoped<JobService>();
    }

    // The same change the revalidating provider makes when a user is demoted while the tab is open.
    private void DemoteToSupport()
    {
        Auth.SetRoles(PortalRoles.Support);
        Auth.SetPolicies(PortalPolicies.Read);
    }

    [Fact]
    public async Task The_log_page_offers_no_replay_for_a_request_refused_as_unauthenticated_and_says_why()
    {
        long refused, accepted;
        await using (var db = Database.CreateContext())
        {
            var stranger = new LogEntry { TimeUtc = DateTime.UtcNow, Direction = LogDirection.Inbound, SourceId = Guid.NewGuid(), Name = "Orders", Method = "DELETE", Path = "/hooks/a/b/42", Status = 401, State = LogState.Error, Error = "Unauthorized." };
            var owner = new LogEntry { TimeUtc = DateTime.UtcNow, Direction = LogDirection.Inbound, SourceId = Guid.NewGuid(), Name = "Orders", Method = "DELETE", Path = "/hooks/a/b/43", Status = 200, State = LogState.Success };
            db.LogEntries.AddRange(stranger, owner);
            await db.SaveChangesAsync();
            (refused, accepted) = (stranger.Id, owner.Id);
        }

        SignInAsSupport();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/logs?entry={refused}");
        var cut = RenderWithProviders<LogsPage>();

        cut.WaitForAssertion(() => Assert.Contains("401", cut.Find("[data-testid=replay-unavailable]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=replay]"));

        await DisposeComponentsAsync();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/logs?entry={accepted}");
        var other = RenderWithProviders<LogsPage>();
        other.WaitForAssertion(() => other.Find("[data-testid=replay]"));
        Assert.Empty(other.FindAll("[data-testid=replay-unavailable]"));
    }

    [Fact]
    public async Task An_admin_demoted_while_the_jobs_page_is_open_gets_no_download_link_for_another_users_backup()
    {
        await using (var db = Database.CreateContext())
        {
            db.Jobs.Add(new Job
            {
                Id = Guid.NewGuid(), Kind = "backup", RequestedById = "someone-else", RequestedByName = "ann@test.local", Status = JobStatus.Succeeded, Progress = 100,
                CreatedUtc = DateTime.UtcNow, FinishedUtc = DateTime.UtcNow, DownloadExpiresUtc = Clock.GetUtcNow().UtcDateTime.AddHours(1),
                DownloadKeyProtected = JobService.ProtectDownloadKey(Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), "the-key"),
            });
            await db.SaveChangesAsync();
        }

        SignInAsAdmin();
        var navigation = Services.GetRequiredService<NavigationManager>();
        var cut = RenderWithProviders<JobsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=download-job]"));
        var before = navigation.Uri;

        DemoteToSupport();
        cut.WaitForAssertion(() => cut.Find("[data-testid=download-job]"));
        cut.Find("[data-testid=download-job]").Click();

        cut.WaitForAssertion(() => Assert.Contains("No job with id", cut.Markup));
        Assert.Equal(before, navigation.Uri);
        Assert.DoesNotContain("the-key", cut.Markup);
    }

    [Fact]
    public async Task An_admin_demoted_while_an_event_type_is_open_cannot_delete_another_owners_subscription()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        Guid subscriptionId;
        using (var scope = AdminScope())
        {
            var listeners = scope.ServiceProvider.GetRequiredService<ListenerCatalog>();
            var listener = await listeners.CreateAsync(integrationId, new ListenerRequest("Opportunities", true, null, null));
            using var sample = System.Text.Json.JsonDocument.Parse("""[{"id":1}]""");
            await scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listener.Id, new TablesRequest(sample.RootElement.Clone(), "opps", null, ["id"]));
            var type = await scope.ServiceProvider.GetRequiredService<EventTypeCatalog>().CreateAsync(integrationId, new EventTypeRequest("NewOpportunity", null, listener.Id, ["insert"], null, true));
            await using var db = Database.CreateContext();
            var subscription = new Subscription { Id = Guid.NewGuid(), EventTypeId = type.Id, TargetUrl = "https://zap.example.com/h", ProtectedSecret = "x", OwnerId = "zapier-key", OwnerName = "zapier", CreatedUtc = DateTime.UtcNow };
            db.Subscriptions.Add(subscription);
            await db.SaveChangesAsync();
            subscriptionId = subscription.Id;
        }

        SignInAsAdmin();
        var cut = RenderWithProviders<EventsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=edit-event-type]"));
        cut.Find("[data-testid=edit-event-type]").Click();
        cut.WaitForAssertion(() => cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Subscriptions", StringComparison.Ordinal)));
        cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Subscriptions", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=delete-subscription]"));

        DemoteToSupport();
        cut.Find("[data-testid=delete-subscription]").Click();

        cut.WaitForAssertion(() => Assert.Contains("No subscription with id", cut.Markup));
        await using var check = Database.CreateContext();
        Assert.True(await check.Subscriptions.AnyAsync(s => s.Id == subscriptionId), "the subscription is still there");
    }
}
