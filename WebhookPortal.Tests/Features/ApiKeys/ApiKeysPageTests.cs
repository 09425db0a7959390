using Bunit;
using Microsoft.EntityFrameworkCore;
using MudBlazor;
using WebhookPortal.Features.ApiKeys.Pages;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.ApiKeys;

public sealed class ApiKeysPageTests : PortalComponentTest
{
    private async Task<(Guid Crm, Guid Erp)> SeedAsync()
    {
        await using var db = Database.CreateContext();
        var crm = new Integration { Id = Guid.NewGuid(), Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        var erp = new Integration { Id = Guid.NewGuid(), Name = "ERP", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow };
        db.Integrations.AddRange(crm, erp);
        await db.SaveChangesAsync();
        return (crm.Id, erp.Id);
    }

    [Fact]
    public async Task A_subscriber_key_needs_integrations_picked_in_the_multi_select_and_the_list_shows_its_scope()
    {
        var (crm, _) = await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<ApiKeysPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=keys-table]"));

        // The scope picker appears only for the Subscriber role.
        Assert.Empty(cut.FindComponents<MudSelect<Guid>>());
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>().Single().Instance.ValueChanged.InvokeAsync("Subscriber"));
        cut.Find("input[data-testid=key-name]").Input("zapier");

        // Without an integration: refused, said next to the picker, nothing stored.
        cut.Find("[data-testid=create-key]").Click();
        cut.WaitForAssertion(() => Assert.Contains("needs one or more integrations", cut.Markup));
        await using (var db = Database.CreateContext())
        {
            Assert.Equal(0, await db.ApiKeys.CountAsync());
        }

        var select = cut.FindComponents<MudSelect<Guid>>().Single();
        Assert.Equal("Integrations", select.Instance.Label);
        await cut.InvokeAsync(() => select.Instance.SelectedValuesChanged.InvokeAsync([crm]));
        cut.Find("[data-testid=create-key]").Click();

        cut.WaitForAssertion(() => Assert.Contains("CRM", cut.Find("[data-testid=key-scope]").TextContent));
        Assert.DoesNotContain("ERP", cut.Find("[data-testid=key-scope]").TextContent);
        Assert.NotNull(cut.Find("[data-testid=key-value]"));
        await using var check = Database.CreateContext();
        var key = await check.ApiKeys.SingleAsync();
        Assert.Equal("Subscriber", key.Role);
        Assert.Equal([crm], await check.ApiKeyIntegrations.Where(s => s.ApiKeyId == key.Id).Select(s => s.IntegrationId).ToListAsync());
    }

    [Fact]
    public async Task Other_roles_are_created_without_a_scope_and_listed_as_reaching_what_their_role_allows()
    {
        await SeedAsync();
        SignInAsAdmin();
        var cut = RenderWithProviders<ApiKeysPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=keys-table]"));

        cut.Find("input[data-testid=key-name]").Input("reader");
        cut.Find("[data-testid=create-key]").Click();

        cut.WaitForAssertion(() => Assert.Contains("all (by role)", cut.Find("[data-testid=key-scope]").TextContent));
        await using var check = Database.CreateContext();
        Assert.Equal(0, await check.ApiKeyIntegrations.CountAsync());
    }
}
