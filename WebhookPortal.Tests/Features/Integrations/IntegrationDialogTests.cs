using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Integrations.Pages;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Integrations;

public sealed class IntegrationDialogTests : PortalComponentTest
{
    public IntegrationDialogTests() => SignInAsAdmin();

    private async Task<(IRenderedComponent<ContainerFragment> Cut, Task<DialogResult?> Result)> OpenAsync(IntegrationView? existing = null)
    {
        var cut = RenderWithProviders<ContainerFragment>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<IntegrationDialog> { { d => d.Existing, existing } };
        IDialogReference? reference = null;
        await cut.InvokeAsync(async () => reference = await dialogs.ShowAsync<IntegrationDialog>("Integration", parameters));
        cut.WaitForAssertion(() => cut.Find("input[data-testid=integration-name]"));
        return (cut, reference!.Result);
    }

    private async Task<int> CountAsync()
    {
        await using var db = Database.CreateContext();
        return await db.Integrations.CountAsync();
    }

    [Fact]
    public async Task Saving_without_a_name_shows_the_message_and_stores_nothing()
    {
        var (cut, result) = await OpenAsync();

        cut.Find("[data-testid=save-integration]").Click();

        cut.WaitForAssertion(() => Assert.Contains("The name is required.", cut.Markup));
        Assert.False(result.IsCompleted);
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task A_duplicate_name_shows_the_conflict_under_the_field()
    {
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = Guid.NewGuid(), Name = "Taken", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var (cut, result) = await OpenAsync();
        cut.Find("input[data-testid=integration-name]").Input("Taken");
        cut.Find("[data-testid=save-integration]").Click();

        cut.WaitForAssertion(() => Assert.Contains("An integration named 'Taken' already exists.", cut.Markup));
        Assert.False(result.IsCompleted);
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task Editing_prefills_the_fields_and_returns_the_saved_integration()
    {
        var id = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = id, Name = "Old", Description = "before", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var (cut, result) = await OpenAsync(new IntegrationView(id, "Old", "before", DateTime.UtcNow, DateTime.UtcNow));
        Assert.Equal("Old", cut.Find("input[data-testid=integration-name]").GetAttribute("value"));

        cut.Find("input[data-testid=integration-name]").Input("New");
        cut.Find("[data-testid=save-integration]").Click();

        var closed = await result.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(closed!.Canceled);
        Assert.Equal("New", Assert.IsType<IntegrationView>(closed.Data).Name);
        await using var check = Database.CreateContext();
        Assert.Equal("New", (await check.Integrations.SingleAsync()).Name);
    }

    [Fact]
    public async Task Cancel_closes_without_storing()
    {
        var (cut, result) = await OpenAsync();
        cut.Find("input[data-testid=integration-name]").Input("Abandoned");

        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();

        var closed = await result.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(closed!.Canceled);
        Assert.Equal(0, await CountAsync());
    }
}
