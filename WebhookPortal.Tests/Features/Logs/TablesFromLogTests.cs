using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Contracts;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Logs.Pages;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>Issue 18: "Generate Tables from this body" on a logged inbound request.</summary>
public sealed class TablesFromLogTests : PortalComponentTest
{
    private const string Body = """{"id":5,"title":"Printer on fire","customer":{"city":"Paris"}}""";

    // Small, so that a cut body is quick to make.
    public TablesFromLogTests() => Services.Configure<LogOptions>(o => o.MaxBodyChars = 256);

    private async Task<ListenerView> SeedAsync(params (string? Body, LogDirection Direction)[] entries)
    {
        var integrationId = Guid.NewGuid();
        await using (var db = Database.CreateContext())
        {
            db.Integrations.Add(new Integration { Id = integrationId, Name = "CRM", CreatedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        ListenerView listener;
        using (var scope = AdminScope())
        {
            listener = await scope.ServiceProvider.GetRequiredService<ListenerCatalog>().CreateAsync(integrationId, new ListenerRequest("Tickets", true, null, null));
        }

        await using (var db = Database.CreateContext())
        {
            var time = new DateTime(2026, 1, 10, 9, 0, 0, DateTimeKind.Utc);
            foreach (var (body, direction) in entries)
            {
                time = time.AddMinutes(-1);
                db.LogEntries.Add(new LogEntry
                {
                    TimeUtc = time, Direction = direction, IntegrationId = integrationId, SourceId = listener.Id, Name = "Tickets", Method = "POST",
                    Path = $"/hooks/{integrationId}/{listener.Id}", Status = 409, State = LogState.Error, Error = "The listener has no tables.", RequestBody = body,
                });
            }

            await db.SaveChangesAsync();
        }

        return listener;
    }

    private IRenderedComponent<ContainerFragment> OpenEntry(int row)
    {
        var cut = RenderWithProviders<LogsPage>();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=logs-table] tbody tr")));
        cut.FindAll("[data-testid=logs-table] tbody tr")[row].Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=log-detail]"));
        return cut;
    }

    [Fact]
    public async Task An_admin_opens_generate_tables_with_the_logged_body_and_creates_them()
    {
        var listener = await SeedAsync((Body, LogDirection.Inbound));
        SignInAsAdmin();
        var cut = OpenEntry(0);

        var button = cut.Find("button[data-testid=tables-from-body]");
        Assert.False(button.HasAttribute("disabled"));
        Assert.Contains("Generate Tables from this body", button.TextContent);
        button.Click();

        // The body is the sample, previewed at once: the admin sees the columns and the SQL.
        cut.WaitForAssertion(() => Assert.Contains("CREATE TABLE", cut.Find("[data-testid=sql-preview]").TextContent));
        Assert.Contains("Printer on fire", cut.Find("textarea[data-testid=sample-editor]").GetAttribute("value"));
        Assert.Single(cut.FindAll("[data-testid=sample-from-log]"));
        Assert.Equal("customer_city", cut.Find("input[data-testid=column-name-records-customer_city]").GetAttribute("value"));

        cut.Find("input[data-testid=column-name-records-customer_city]").Input("city");
        cut.WaitForAssertion(() => Assert.Contains("\"city\" TEXT", cut.Find("[data-testid=sql-preview]").TextContent));
        cut.Find("[data-testid=generate]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Tables generated for Tickets", cut.Markup));
        await using var db = Database.CreateContext();
        var schema = (await db.Listeners.SingleAsync(l => l.Id == listener.Id)).GetSchema()!;
        var city = schema.Root.Columns.Single(c => c.Name == "city");
        Assert.Equal(["customer", "city"], city.Source);
        Assert.Equal("id", Assert.Single(schema.KeyColumns).Name);
    }

    [Fact]
    public async Task Support_sees_no_generate_tables_action_and_the_service_refuses_support()
    {
        var listener = await SeedAsync((Body, LogDirection.Inbound));
        SignInAsSupport();
        var cut = OpenEntry(0);

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=replay]")));
        Assert.Empty(cut.FindAll("[data-testid=tables-from-body]"));

        using var scope = SupportScope();
        var request = new TablesRequest(System.Text.Json.JsonDocument.Parse(Body).RootElement, "records", null, ["id"]);
        await Assert.ThrowsAsync<ForbiddenException>(() => scope.ServiceProvider.GetRequiredService<TableDesigner>().GenerateTablesAsync(listener.Id, request));
        await Assert.ThrowsAsync<ForbiddenException>(() => scope.ServiceProvider.GetRequiredService<TableDesigner>().PreviewTablesAsync(listener.Id, request));
    }

    public static TheoryData<string?, string> NoSamples => new()
    {
        { "{\"id\":1,\"text\":\"" + new string('x', 300) + "\"}", "cut at the log's limit of 256 characters" },
        { "{not json", "not valid JSON" },
        { "42", "not an object or an array" },
        { null, "No body was logged" },
    };

    [Theory]
    [MemberData(nameof(NoSamples))]
    public async Task A_body_that_cannot_be_a_sample_disables_the_action_and_says_why(string? body, string reason)
    {
        await SeedAsync((body is { Length: > 256 } ? body[..256] : body, LogDirection.Inbound));
        SignInAsAdmin();
        var cut = OpenEntry(0);

        var button = cut.Find("button[data-testid=tables-from-body]");
        Assert.True(button.HasAttribute("disabled"));
        var tooltip = cut.FindComponents<MudTooltip>().Single(t => t.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == "tables-from-body-reason");
        Assert.Contains(reason, tooltip.Instance.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outbound_attempts_have_no_generate_tables_action()
    {
        await SeedAsync((Body, LogDirection.Outbound));
        SignInAsAdmin();
        var cut = OpenEntry(0);

        cut.WaitForAssertion(() => cut.Find("[data-testid=log-detail]"));
        Assert.Empty(cut.FindAll("[data-testid=tables-from-body]"));
    }
}
