using Bunit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.ApiKeys.Pages;
using WebhookPortal.Features.Users;
using WebhookPortal.Features.Users.Pages;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Users;

/// <summary>The users and API keys pages on the real Identity stores (in-memory SQLite).</summary>
public sealed class AdminPagesTests : PortalComponentTest
{
    public AdminPagesTests()
    {
        Services.AddLogging();
        Services.AddDataProtection();
        Services.AddIdentityCore<ApplicationUser>(o => o.Password.RequiredLength = 8)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddDefaultTokenProviders();
        Services.AddScoped<UserService>();
        Services.AddScoped<ApiKeyService>();
        using var db = Database.CreateContext();
        foreach (var role in PortalRoles.All)
        {
            db.Roles.Add(new IdentityRole(role) { NormalizedName = role.ToUpperInvariant() });
        }

        db.SaveChanges();
        SignInAsAdmin();
    }

    [Fact]
    public async Task An_admin_creates_a_support_user_who_is_then_listed()
    {
        var cut = RenderWithProviders<UsersPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=add-user]"));
        cut.Find("[data-testid=add-user]").Click();

        cut.Find("input[data-testid=new-user-email]").Input("helpdesk@test.local");
        cut.Find("input[data-testid=new-user-password]").Input("short");
        cut.Find("[data-testid=create-user]").Click();
        cut.WaitForAssertion(() => Assert.Contains("at least 8 characters", cut.Markup));

        cut.Find("input[data-testid=new-user-password]").Input("Helpdesk-Pass-1");
        cut.Find("[data-testid=create-user]").Click();

        cut.WaitForAssertion(() => Assert.Contains("User helpdesk@test.local created as Support.", cut.Markup));
        Assert.Contains("helpdesk@test.local", cut.Find("[data-testid=users-table] tbody").TextContent);
        using var scope = AdminScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync("helpdesk@test.local");
        Assert.True(await users.IsInRoleAsync(user!, PortalRoles.Support));
    }

    [Fact]
    public async Task Locking_a_user_from_the_table_locks_them()
    {
        using (var scope = AdminScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync(new CreateUserRequest("a@test.local", "Admin-Pass-11", "Admin"));
            await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync(new CreateUserRequest("b@test.local", "Other-Pass-11", "Support"));
        }

        var cut = RenderWithProviders<UsersPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=toggle-lock]").Count));
        var row = cut.FindAll("[data-testid=users-table] tbody tr").Single(r => r.TextContent.Contains("b@test.local"));
        row.QuerySelector("[data-testid=toggle-lock]")!.Click();

        cut.WaitForAssertion(() => Assert.Contains("b@test.local locked.", cut.Markup));
        await using var db = Database.CreateContext();
        Assert.True((await db.Users.SingleAsync(u => u.Email == "b@test.local")).LockoutEnd > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task An_api_key_is_shown_once_and_listed_without_its_secret()
    {
        var cut = RenderWithProviders<ApiKeysPage>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=create-key]"));
        cut.Find("input[data-testid=key-name]").Input("ci-bot");

        cut.Find("[data-testid=create-key]").Click();

        cut.WaitForAssertion(() => cut.Find("input[data-testid=key-value]"));
        var key = cut.Find("input[data-testid=key-value]").GetAttribute("value")!;
        Assert.StartsWith("wpk_", key);
        Assert.Contains("ci-bot", cut.Find("[data-testid=keys-table] tbody").TextContent);
        Assert.DoesNotContain(key, cut.Find("[data-testid=keys-table]").OuterHtml);
        using var scope = AdminScope();
        Assert.NotNull(await scope.ServiceProvider.GetRequiredService<ApiKeyService>().ValidateAsync(key));

        await DisposeComponentsAsync();
        var again = RenderWithProviders<ApiKeysPage>();
        again.WaitForAssertion(() => Assert.Contains("ci-bot", again.Find("[data-testid=keys-table] tbody").TextContent));
        Assert.Empty(again.FindAll("input[data-testid=key-value]"));
    }
}
