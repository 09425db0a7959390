using Bunit;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Integrations.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

public sealed class IntegrationsPageTests : PortalComponentTest
{
    private async Task SeedAsync(params string[] names)
    {
        await using var db = Database.CreateContext();
        foreach (var name in names)
        {
            db.Integrations.Add(new Integration { Id = Guid.NewGuid(), Name = name, Description = name + " system", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
        }

        await db.SaveChangesAsync();
    }

    private async Task<List<string>> StoredNamesAsync()
    {
        await using var db = Database.CreateContext();
        return await db.Integrations.Select(i => i.Name).OrderBy(n => n).ToListAsync();
    }

    [Fact]
    public void With_no_integrations_the_empty_state_explains_what_an_integration_is()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<IntegrationsPage>();

        cut.WaitForAssertion(() => Assert.Contains("No integrations yet", cut.Find("[data-testid=integrations-empty]").TextContent));
    }

    [Fact]
    public async Task Lists_integrations_and_search_filters_the_rows()
    {
        await SeedAsync("Salesforce", "Zendesk", "SAP");
        SignInAsAdmin();
        var cut = RenderWithProviders<IntegrationsPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("tbody tr").Count));

        cut.Find("input[data-testid=integration-search]").Input("zen");

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("tbody tr");
            Assert.Single(rows);
            Assert.Contains("Zendesk", rows[0].TextContent);
        });
    }

    [Fact]
    public async Task Support_sees_the_list_without_add_edit_or_delete()
    {
        await SeedAsync("ReadOnly");
        SignInAsSupport();
        var cut = RenderWithProviders<IntegrationsPage>();
        cut.WaitForAssertion(() => Assert.Contains("ReadOnly", cut.Find("tbody").TextContent));

        Assert.Empty(cut.FindAll("[data-testid=add-integration]"));
        Assert.Empty(cut.FindAll("[data-testid=edit-integration]"));
        Assert.Empty(cut.FindAll("[data-testid=delete-integration]"));
    }

    [Fact]
    public async Task Adding_through_the_dialog_stores_it_lists_it_and_confirms_with_a_snackbar()
    {
        SignInAsAdmin();
        var cut = RenderWithProviders<IntegrationsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-integration]"));

        cut.Find("[data-testid=add-integration]").Click();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=integration-name]"));
        cut.Find("input[data-testid=integration-name]").Input("HubSpot");
        cut.Find("[data-testid=save-integration]").Click();

        cut.WaitForAssertion(() => Assert.Contains("HubSpot", cut.Find("tbody").TextContent));
        cut.WaitForAssertion(() => Assert.Contains("Integration 'HubSpot' created.", cut.Markup));
        Assert.Equal(["HubSpot"], await StoredNamesAsync());
    }

    [Fact]
    public async Task Deleting_asks_for_confirmation_and_then_removes_it()
    {
        await SeedAsync("Doomed");
        SignInAsAdmin();
        var cut = RenderWithProviders<IntegrationsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=delete-integration]"));

        cut.Find("[data-testid=delete-integration]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Delete 'Doomed'?", cut.Markup));
        Assert.Equal(["Doomed"], await StoredNamesAsync());

        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();

        cut.WaitForAssertion(() => Assert.Contains("No integrations yet", cut.Markup));
        Assert.Empty(await StoredNamesAsync());
    }

    [Fact]
    public async Task Cancelling_the_delete_confirmation_keeps_it()
    {
        await SeedAsync("Kept");
        SignInAsAdmin();
        var cut = RenderWithProviders<IntegrationsPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=delete-integration]"));

        cut.Find("[data-testid=delete-integration]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Delete 'Kept'?", cut.Markup));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();

        cut.WaitForAssertion(() => Assert.DoesNotContain("Delete 'Kept'?", cut.Markup));
        Assert.Equal(["Kept"], await StoredNamesAsync());
    }
}
