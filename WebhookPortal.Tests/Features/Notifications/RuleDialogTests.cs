using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Notifications.Pages;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Notifications;

public sealed class RuleDialogTests : PortalComponentTest
{
    public RuleDialogTests() => SignInAsAdmin();

    private async Task<Guid> SeedAsync()
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "Billing", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        using var scope = AdminScope();
        var webhook = await scope.ServiceProvider.GetRequiredService<WebhookCatalog>().CreateAsync(integrationId, new WebhookRequest("quota-alerts", "https://hooks.example.com/q", true, null, null), "admin");
        return webhook.Id;
    }

    private async Task<IRenderedComponent<ContainerFragment>> OpenAsync()
    {
        var cut = RenderWithProviders<NotificationsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-rule]"));
        cut.Find("[data-testid=add-rule]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=notify-preview]"));
        await Task.CompletedTask;
        return cut;
    }

    [Fact]
    public async Task The_preview_follows_from_to_and_step_as_you_type()
    {
        await SeedAsync();
        var cut = await OpenAsync();
        Assert.Contains("Notify at: 80%, 90%, 100%", cut.Find("[data-testid=notify-preview]").TextContent);

        cut.Find("input[data-testid=to-0]").Input("120");
        cut.WaitForAssertion(() => Assert.Contains("Notify at: 80%, 90%, 100%, 110%, 120%", cut.Find("[data-testid=notify-preview]").TextContent));

        cut.Find("input[data-testid=step-0]").Input("20");
        cut.WaitForAssertion(() => Assert.Contains("Notify at: 80%, 100%, 120%", cut.Find("[data-testid=notify-preview]").TextContent));

        cut.Find("[data-testid=add-condition]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=from-1]"));
        cut.Find("input[data-testid=from-1]").Input("50");
        cut.WaitForAssertion(() => Assert.Contains("Notify at: 50%, 80%, 100%, 120%", cut.Find("[data-testid=notify-preview]").TextContent));
    }

    [Fact]
    public async Task Bad_conditions_show_messages_under_the_fields_and_clear_the_preview()
    {
        await SeedAsync();
        var cut = await OpenAsync();

        cut.Find("input[data-testid=to-0]").Input("50");
        cut.WaitForAssertion(() => Assert.Contains("To % must not be less than From %.", cut.Markup));
        Assert.Contains("nothing yet", cut.Find("[data-testid=notify-preview]").TextContent);

        cut.Find("input[data-testid=to-0]").Input("100");
        cut.Find("input[data-testid=step-0]").Input("0");
        cut.WaitForAssertion(() => Assert.Contains("Step % must be more than 0.", cut.Markup));
    }

    [Fact]
    public async Task Saving_without_a_webhook_is_refused_then_saving_with_one_lists_the_rule()
    {
        var webhookId = await SeedAsync();
        var cut = await OpenAsync();
        cut.Find("input[data-testid=rule-name]").Input("monthly quota");

        cut.Find("[data-testid=save-rule]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Pick at least one webhook to notify.", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(0, await db.NotificationRules.CountAsync());
        }

        var select = cut.FindComponents<MudSelect<Guid>>().Single();
        await cut.InvokeAsync(() => select.Instance.SelectedValuesChanged.InvokeAsync([webhookId]));
        cut.Find("[data-testid=save-rule]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Rule 'monthly quota' created.", cut.Markup));
        Assert.Contains("quota-alerts", cut.Find("[data-testid=rules-table] tbody").TextContent);
        await using var check = Database.CreateContext();
        var rule = await check.NotificationRules.SingleAsync();
        Assert.Equal([80m, 90m, 100m], rule.ThresholdCounts().Select(t => t.Percent).ToArray());
    }
}
