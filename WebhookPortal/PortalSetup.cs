using WebhookPortal.Features.PortalEvents;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MudBlazor;
using MudBlazor.Services;
using Scalar.AspNetCore;
using WebhookPortal.Components;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Features.Listeners;
using WebhookPortal.Features.Listeners.Receiver;
using WebhookPortal.Features.Logs;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Features.Webhooks;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Hangfire;
using WebhookPortal.Infrastructure.Http;
using WebhookPortal.Infrastructure.Scripting;
using WebhookPortal.Infrastructure.Telemetry;
using WebhookPortal.Features.Dashboard;
using WebhookPortal.Features.Events;
using WebhookPortal.Features.Jobs;
using WebhookPortal.Features.Notifications;
using WebhookPortal.Features.Users;
using WebhookPortal.Features.Audit;

namespace WebhookPortal;

/// <summary>The two calls of Program.cs: every feature's services, then every feature's endpoints.</summary>
public static class PortalSetup
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        var operatorDirectory = new OperatorDirectory(builder.UseOperatorConfiguration());
        builder.Services.AddSingleton(operatorDirectory);

        // The request-start log line carries the query string, and /api/authenticate?api_key=…&password=… (docs/compatibility.md#async-jobs)
        // puts credentials there: that category never logs below Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        // Static web assets (MudBlazor, blazor.web.js) are served from the build output in every environment.
        builder.WebHost.UseStaticWebAssets();

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section);
        services.AddOptions<PortalOptions>().Bind(builder.Configuration).ValidateDataAnnotations().ValidateOnStart();

        var provider = builder.AddPortalDatabase(operatorDirectory);
        services.AddDataProtection().SetApplicationName("WebhookPortal").PersistKeysToDbContext<PortalDbContext>();
        builder.AddPortalAuth();
        services.AddHttpContextAccessor();
        services.AddScoped<PortalCaller>();
        builder.AddPortalHangfire(provider);
        builder.AddPortalTelemetry();

        services.AddSecurityHeaders();
        services.AddProblemDetails();
        services.AddBodyLimits();
        // Unreadable bodies become a problem-details 400 that says what could not be read.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<PortalExceptionHandler>();
        services.AddOpenApi();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(o => o.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight);
        services.AddScoped<WebhookPortal.Components.Shared.CodeEditorEdits>();
        services.AddScoped<WebhookPortal.Components.Shared.ViewerTimeZone>();

        services.AddScripting();

        // Every feature registers its own services (Features/<Feature>/<Feature>Setup.cs).
        services.AddIntegrations();
        services.AddApiKeys();
        services.AddListeners();
        services.AddLogs();
        services.AddEvents();
        services.AddDeliveries();
        services.AddWebhooks();
        services.AddPortalEvents();
        services.AddNotifications();
        services.AddJobs();
        services.AddUsers();
        services.AddDashboard();
        services.AddAudit();
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseSecurityHeaders();

        // Pages render the error and not-found pages; machine endpoints answer problem details
        // (the inner API handlers act first, so the outer ones see a started response and stay out).
        app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseWhen(ctx => AuthSetup.IsApiPath(ctx.Request.Path), api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
        });

        app.UseAuthentication();
        // After authentication, so that per-caller policies (perform-list) see who is calling.
        app.UseRateLimiter();
        app.UsePasswordChangeGate();
        app.UseSubscriberKeyBoundary();
        app.UseAuthorization();
        app.UseBodyLimits();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/healthz", new HealthCheckOptions()).AllowAnonymous();
        app.MapPortalTelemetry();
        app.MapOpenApi().RequireAuthorization(PortalPolicies.Read);
        app.MapScalarApiReference("/scalar", o => o.WithTitle("WebhookPortal API")).RequireAuthorization(PortalPolicies.Read);
        app.MapPortalHangfireDashboard();

        // Every feature maps its own endpoints and schedules its own recurring jobs.
        app.MapIntegrations();
        app.MapApiKeys();
        app.MapListeners();
        app.MapLogs();
        app.MapEvents();
        app.MapDeliveries();
        app.MapWebhooks();
        app.MapPortalEvents();
        app.MapNotifications();
        app.MapJobs();
        app.MapUsers();
        app.MapAudit();
        app.MapDashboard();

        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        return app;
    }
}
