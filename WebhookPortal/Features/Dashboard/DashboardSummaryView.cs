namespace WebhookPortal.Features.Dashboard;

/// <summary>The home page's counts and the database in use.</summary>
public sealed record DashboardSummaryView(int Integrations, int Users, int ApiKeys, string DatabaseProvider);
