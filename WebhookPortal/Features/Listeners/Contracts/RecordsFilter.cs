namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// The records API's filter: <c>q</c> matches the key or any text column (case-insensitive), <c>sort</c> names a
/// root column or <c>lastModified</c> (the default), <c>order</c> is <c>desc</c> (the default) or <c>asc</c>.
/// </summary>
public sealed record RecordsFilter(string? Q = null, string? Sort = null, string? Order = null);
