namespace WebhookPortal.Features.Users;

public sealed record CreateUserRequest(string? Email, string? Password, string? Role);
