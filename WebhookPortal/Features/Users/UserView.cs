namespace WebhookPortal.Features.Users;

public sealed record UserView(string Id, string Email, string Role, bool LockedOut, DateTimeOffset? LockoutEnd, DateTime Created);
