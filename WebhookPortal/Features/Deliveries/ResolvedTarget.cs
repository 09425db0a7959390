namespace WebhookPortal.Features.Deliveries;

/// <summary>Where and how to send one attempt.</summary>
/// <param name="Name">The receiver's name, for the log.</param>
/// <param name="Secret">The signing secret; null sends the attempt unsigned.</param>
/// <param name="Headers">Extra request headers (masked in the log: admins configure them, usually as credentials).</param>
/// <param name="SendUrl">Overrides the delivery's stored URL (a job callback adds its claim secret).</param>
/// <param name="SecretQueryParameter">A query parameter of the URL that is a secret and is masked in the log.</param>
/// <param name="RetrySchedule">The target's own retry schedule (<see cref="Deliveries.RetrySchedule"/> text); null = Delivery:Schedule.</param>
/// <param name="PreviousSecret">A rotated-out secret still inside its overlap: the attempt carries its signature too.</param>
public sealed record ResolvedTarget(string Name, string? Secret, IReadOnlyDictionary<string, string> Headers, string? SendUrl = null, string? SecretQueryParameter = null, string? RetrySchedule = null, string? PreviousSecret = null);
