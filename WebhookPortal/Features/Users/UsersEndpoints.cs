using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WebhookPortal.Infrastructure.Auth;
using WebhookPortal.Infrastructure.Http;

namespace WebhookPortal.Features.Users;

public static class UsersEndpoints
{
    public static IEndpointRouteBuilder MapUsersEndpoints(this IEndpointRouteBuilder app)
    {
        // Who may do what is itself an administrator's business: every call here needs Admin.
        var group = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(PortalPolicies.Admin).WithBodyLimit(BodySize.Small);
        group.MapGet("/", List).WithName("ListUsers").WithSummary("List the portal users");
        group.MapPost("/", Create).WithName("CreateUser").WithSummary("Create a portal user");
        group.MapPut("/{id}", Update).WithName("UpdateUser").WithSummary("Change a user's role, lock or password").WithDescription("Null fields are unchanged. The last active administrator cannot be demoted or locked (409).");
        group.MapDelete("/{id}", Delete).WithName("DeleteUser").WithSummary("Delete a portal user").WithDescription("The REST-hook subscriptions the user made go with the account. The last active administrator cannot be removed (409).");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<UserView>>> List(UserService users, CancellationToken ct) => TypedResults.Ok(await users.ListAsync(ct));

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Created<UserView>> Create(CreateUserRequest request, UserService users, CancellationToken ct)
    {
        var created = await users.CreateAsync(request, ct);
        return TypedResults.Created($"/api/users/{created.Id}", created);
    }

    [ProducesResponseType<HttpValidationProblemDetails>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<Ok<UserView>> Update(string id, UpdateUserRequest request, UserService users, CancellationToken ct) =>
        TypedResults.Ok(await users.UpdateAsync(id, request, ct));

    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict)]
    private static async Task<NoContent> Delete(string id, UserService users, CancellationToken ct)
    {
        await users.DeleteAsync(id, ct);
        return TypedResults.NoContent();
    }
}
