namespace WebhookPortal.Features.Users;

public static class UsersSetup
{
    public static IServiceCollection AddUsers(this IServiceCollection services) =>
        services.AddScoped<UserService>();

    public static WebApplication MapUsers(this WebApplication app)
    {
        app.MapUsersEndpoints();
        return app;
    }
}
