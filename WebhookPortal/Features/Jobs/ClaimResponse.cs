namespace WebhookPortal.Features.Jobs;

/// <summary>The claim answer, <c>{"data": {...}}</c> as the seed's clients read it.</summary>
public sealed record ClaimResponse(ClaimData Data);
