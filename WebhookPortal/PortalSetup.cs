using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MudBlazor.Services;
using Scalar.AspNetCore;
using WebhookPortal.Components;
using WebhookPortal.Data;
using WebhookPortal.Features.ApiKeys;
using WebhookPortal.Features.Integrations;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Configuration;
using WebhookPortal.Infrastructure.Database;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Hangfire;

namespace WebhookPortal;

/// <summary>The two calls of Program.cs: every feature's services, then every feature's endpoints.</summary>
public static class PortalSetup
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        var operatorDirectory = new OperatorDirectory(builder.UseOperatorConfiguration());

        // Static web assets (MudBlazor, blazor.web.js) are served from the build output in every environment.
        builder.WebHost.UseStaticWebAssets();

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section);
        services.AddOptions<PortalOptions>().Bind(builder.Configuration).ValidateDataAnnotations().ValidateOnStart();

        var provider = builder.AddPortalDatabase(operatorDirectory);
        services.AddDataProtection().SetApplicationName("WebhookPortal").PersistKeysToDbContext<PortalDbContext>();
        builder.AddPortalAuth();
        builder.AddPortalHangfire(provider);

        services.AddProblemDetails();
        services.AddExceptionHandler<PortalExceptionHandler>();
        services.AddOpenApi();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();

        services.AddIntegrations();
        services.AddApiKeys();
        services.AddScoped<WebhookPortal.Features.Dashboard.DashboardService>();
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        // Machine endpoints answer problem details; pages render the error and not-found pages.
        app.UseWhen(ctx => AuthSetup.IsApiPath(ctx.Request.Path), api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
        });
        app.UseWhen(ctx => !AuthSetup.IsApiPath(ctx.Request.Path), pages =>
        {
            pages.UseExceptionHandler("/Error", createScopeForErrors: true);
            pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        });

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/healthz", new HealthCheckOptions()).AllowAnonymous();
        app.MapOpenApi().RequireAuthorization(PortalPolicies.Read);
        app.MapScalarApiReference("/scalar", o => o.WithTitle("WebhookPortal API")).RequireAuthorization(PortalPolicies.Read);
        app.MapPortalHangfireDashboard();

        app.MapIntegrationsEndpoints();
        app.MapApiKeysEndpoints();

        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        return app;
    }
}
