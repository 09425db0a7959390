using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Notifications.Pages;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Notifications;

public sealed class NotificationsPageTests : PortalComponentTest
{
    private async Task<NotificationRuleView> SeedRuleAsync()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Billing", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        var webhook = await scope.ServiceProvider.GetRequiredService<WebhookCatalog>().CreateAsync(integrationId, new WebhookRequest("quota-alerts", "https://hooks.example.com/q", true, null, null), "admin");
        return await scope.ServiceProvider.GetRequiredService<NotificationService>().CreateAsync(integrationId,
            new NotificationRuleRequest("Monthly quota", null, 1000, UsagePeriod.Month, [new ThresholdConditionRequest(80, 100, 10, null)], [webhook.Id], true));
    }

    [Fact]
    public async Task Support_sees_the_rules_with_their_thresholds_but_no_controls_that_change_them()
    {
        await SeedRuleAsync();
        SignInAsSupport();
        var cut = RenderWithProviders<NotificationsPage>();

        cut.WaitForAssertion(() => Assert.Contains("Monthly quota", cut.Find("[data-testid=rules-table]").TextContent));
        Assert.Contains("90%", cut.Find("[data-testid=rules-table]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=add-rule]"));
        Assert.Empty(cut.FindAll("[data-testid=edit-rule]"));
        Assert.Empty(cut.FindAll("[data-testid=delete-rule]"));
        Assert.Empty(cut.FindAll("[data-testid=rule-enabled]"));
        // Read-only looks read-only: the switch is disabled, not a live control that does nothing.
        Assert.True(cut.FindComponent<MudSwitch<bool>>().Instance.Disabled);
        Assert.True(DisabledInput(cut.Find("[data-testid=enabled-read-only]")));
    }

    [Fact]
    public async Task An_admin_turns_a_rule_off_with_its_switch()
    {
        var rule = await SeedRuleAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<NotificationsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=rule-enabled]"));

        await cut.InvokeAsync(() => cut.FindComponent<MudSwitch<bool>>().Instance.ValueChanged.InvokeAsync(false));

        await using var db = Database.CreateContext();
        Assert.False((await db.NotificationRules.SingleAsync(r => r.Id == rule.Id)).Enabled);
    }
}
