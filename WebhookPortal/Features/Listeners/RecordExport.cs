namespace WebhookPortal.Features.Listeners;

/// <summary>A checked export of a listener's records, ready to stream: the download's name, type and writer.</summary>
public sealed record RecordExport(string FileName, string ContentType, Func<Stream, CancellationToken, Task> WriteAsync);
