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
        group.MapGet("/", List).WithName("ListUsers");
        group.MapPost("/", Create).WithName("CreateUser");
        group.MapPut("/{id}", Update).WithName("UpdateUser");
        group.MapDelete("/{id}", Delete).WithName("DeleteUser");
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
