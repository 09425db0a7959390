namespace WebhookPortal.Features.Users;

/// <summary>Changes to a user; null = unchanged.</summary>
public sealed record UpdateUserRequest(string? Role, bool? Locked, string? Password);
