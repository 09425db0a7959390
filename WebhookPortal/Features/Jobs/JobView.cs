namespace WebhookPortal.Features.Jobs;

/// <summary>
/// A job as listed: its state and progress, the state of its callback delivery ("not sent" before it is staged), and what a
/// finished retention run or redelivery did (<see cref="Summary"/>).
/// </summary>
public sealed record JobView(Guid Id, string Kind, string? RequestedBy, JobStatus Status, int Progress, DateTime Created, DateTime? Started, DateTime? Finished,
    string? Error, string? CallbackStatus, Guid? CallbackDeliveryId, bool Downloadable, string? Summary = null);
