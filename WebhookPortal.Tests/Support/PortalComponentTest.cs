using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;
using WebhookPortal.Data;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Components.Shared;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Logs;
using WebhookPortal.Infrastructure.Configuration;

namespace WebhookPortal.Tests.Support;

/// <summary>
/// bUnit base: MudBlazor services, loose JS interop, the real feature services on an in-memory SQLite
/// database, and a signed-in user whose role each test picks.
/// </summary>
public abstract class PortalComponentTest : BunitContext, IAsyncLifetime
{
    protected PortalComponentTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
        Services.AddSingleton(Database);
        Services.AddScoped<PortalDbContext>(sp => sp.GetRequiredService<TestDatabase>().CreateContext());
        Services.AddSingleton<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext>>(Database);
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddHttpContextAccessor();
        Services.AddScoped<PortalCaller>();
        // Features bind their options from configuration (empty here: every default).
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Services.AddIntegrations();
        Services.AddOptions<PortalOptions>().Configure(o => o.PublicBaseUrl = "http://portal.test");
        Services.AddOptions<ListenerOptions>();
        Services.AddSingleton<ListenerDirectory>();
        Services.AddSingleton<WebhookPortal.Infrastructure.Database.IClusterSignals, WebhookPortal.Infrastructure.Database.LocalClusterSignals>();
        Services.AddOptions<WebhookPortal.Infrastructure.Scripting.ScriptOptions>();
        Services.AddSingleton<WebhookPortal.Infrastructure.Scripting.ScriptSandbox>();
        Services.AddScoped<ListenerCatalog>();
        Services.AddScoped<ListenerTokens>();
        Services.AddScoped<WebhookPortal.Features.Listeners.Replays.BulkReplays>();
        Services.AddOptions<WebhookPortal.Features.Jobs.JobOptions>();
        Services.AddScoped<RetentionRuns>();
        Services.AddScoped<ListenerSecrets>();
        Services.AddScoped<TableDesigner>();
        Services.AddScoped<ListenerRecords>();
        Services.AddScoped<ListenerScriptTester>();
        Services.AddScoped<LogService>();
        Services.AddSingleton<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());
        Services.AddOptions<WebhookPortal.Features.Deliveries.OutboundOptions>();
        Services.AddSingleton<Hangfire.IBackgroundJobClient>(JobClient);
        Services.AddScoped<WebhookPortal.Features.Deliveries.DeliveryOutbox>();
        Services.AddScoped<WebhookPortal.Features.Deliveries.DeliveryService>();
        Services.AddOptions<WebhookPortal.Features.Webhooks.WebhookOptions>();
        Services.AddSingleton<WebhookPortal.Features.Webhooks.PublishRoutes>();
        Services.AddScoped<WebhookPortal.Features.Webhooks.WebhookCatalog>();
        Services.AddScoped<WebhookPortal.Features.Webhooks.WebhookSecrets>();
        Services.AddScoped<WebhookPortal.Features.Webhooks.WebhookPublisher>();
        Services.AddScoped<WebhookPortal.Features.PortalEvents.PortalEventRaiser>();
        Services.AddScoped<WebhookPortal.Features.PortalEvents.PortalEventService>();
        Services.AddOptions<LogOptions>();
        Services.AddSingleton<WebhookPortal.Features.Listeners.Receiver.ReceiverWriter>();
        Services.AddSingleton<WebhookPortal.Features.Listeners.Receiver.InboundPipeline>();
        Services.AddSingleton<WebhookPortal.Features.Listeners.Receiver.IListenerAuthenticator, WebhookPortal.Features.Listeners.Receiver.TokenListenerAuthenticator>();
        Services.AddScoped<LogActions>();
        Services.AddScoped<WebhookPortal.Features.Notifications.NotificationService>();
        Services.AddScoped<WebhookPortal.Features.Events.EventTypeCatalog>();
        Services.AddScoped<WebhookPortal.Features.Events.SubscriptionService>();
        Services.AddSingleton<WebhookPortal.Features.Events.EventPayloads>();
        Services.AddOptions<WebhookPortal.Features.ApiKeys.ApiKeyOptions>();
        Services.AddScoped<WebhookPortal.Features.ApiKeys.ApiKeyService>();
        Services.AddSingleton<WebhookPortal.Features.ApiKeys.ApiKeyCache>();
        Services.AddSingleton<WebhookPortal.Features.ApiKeys.ApiKeyUsage>();

        // Monaco needs a browser: components get a textarea with the same parameters.
        ComponentFactories.Add<CodeEditor, FakeCodeEditor>();
        Services.AddScoped<CodeEditorEdits>();
        Services.AddScoped<ViewerTimeZone>();
        Services.AddSingleton(EditorLatency);
        Auth = AddAuthorization();
    }

    protected TestDatabase Database { get; } = new();

    protected FakeEditorLatency EditorLatency { get; } = new();

    protected RecordingJobClient JobClient { get; } = new();

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    protected BunitAuthorizationContext Auth { get; }

    protected void SignInAsAdmin()
    {
        Auth.SetAuthorized("admin@test.local");
        Auth.SetRoles(PortalRoles.Admin);
        Auth.SetPolicies(PortalPolicies.Admin, PortalPolicies.Read);
    }

    protected void SignInAsSupport()
    {
        Auth.SetAuthorized("support@test.local");
        Auth.SetRoles(PortalRoles.Support);
        Auth.SetPolicies(PortalPolicies.Read);
    }

    /// <summary>
    /// A scope whose services act for an administrator, whoever is signed in to the page: tests seed
    /// data through the real services, which check the caller's role.
    /// </summary>
    protected IServiceScope AdminScope()
    {
        var scope = Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<PortalCaller>().Use(AdminPrincipal());
        return scope;
    }

    /// <summary>A scope whose services act for a support user, to prove the services refuse what Support may not do.</summary>
    protected IServiceScope SupportScope()
    {
        var scope = Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<PortalCaller>().Use(Principal("support@test.local", PortalRoles.Support));
        return scope;
    }

    protected static System.Security.Claims.ClaimsPrincipal AdminPrincipal() => Principal("admin@test.local", PortalRoles.Admin);

    protected static System.Security.Claims.ClaimsPrincipal Principal(string name, string role) =>
        new(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, name), new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, role)],
            "Test"));

    /// <summary>Renders the component under test beside the providers that dialogs, popovers and snackbars need.</summary>
    /// <summary>Whether the input a test id names (MudBlazor puts the id on the input or on its wrapper) is disabled.</summary>
    protected static bool DisabledInput(AngleSharp.Dom.IElement element) =>
        (element.TagName == "INPUT" ? element : element.QuerySelector("input"))?.HasAttribute("disabled") == true;

    protected IRenderedComponent<ContainerFragment> RenderWithProviders<TComponent>(params (string Name, object? Value)[] parameters)
        where TComponent : IComponent =>
        Render<ContainerFragment>(p => p.AddChildContent(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
            builder.OpenComponent<TComponent>(3);
            foreach (var (name, value) in parameters)
            {
                builder.AddComponentParameter(4, name, value);
            }

            builder.CloseComponent();
        }));

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously; xunit v2 awaits this before Dispose().
    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        Database.Dispose();
    }
}

/// <summary>A neutral root that renders whatever child content it is given.</summary>
public sealed class ContainerFragment : ComponentBase
{
    [Parameter]
    public RenderFragment? ChildContent { get; set; }

    protected override void BuildRenderTree(Microsoft.AspNetCore.Components.Rendering.RenderTreeBuilder builder) => builder.AddContent(0, ChildContent);
}
