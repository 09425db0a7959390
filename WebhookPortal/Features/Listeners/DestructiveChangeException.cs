using WebhookPortal.Infrastructure.Errors;

namespace WebhookPortal.Features.Listeners;

/// <summary>A change that would lose data and was not confirmed (409 listing the losses).</summary>
public sealed class DestructiveChangeException(IReadOnlyList<string> losses)
    : PortalException("Generating these tables would lose data; send confirmDestructive: true to proceed. " + string.Join(" ", losses))
{
    public IReadOnlyList<string> Losses { get; } = losses;

    public override IReadOnlyDictionary<string, object?> Extensions => new Dictionary<string, object?> { ["losses"] = Losses };

    public override int StatusCode => StatusCodes.Status409Conflict;

    public override string Title => "The change is destructive.";
}
