namespace WebhookPortal.Infrastructure.Errors;

/// <summary>A domain error that the API turns into problem details and the UI into a snackbar.</summary>
public abstract class PortalException(string message) : Exception(message)
{
    public abstract int StatusCode { get; }

    public abstract string Title { get; }

    /// <summary>Members the problem details carry beside status, title and detail (e.g. what a change would lose).</summary>
    public virtual IReadOnlyDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>();
}

/// <summary>Input that breaks a rule; carries one or more messages per field (400).</summary>
public sealed class PortalValidationException(IDictionary<string, string[]> errors)
    : PortalException(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public PortalValidationException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    public IDictionary<string, string[]> Errors { get; } = errors;

    public override int StatusCode => StatusCodes.Status400BadRequest;

    public override string Title => "One or more fields are invalid.";
}

public sealed class NotFoundException(string message) : PortalException(message)
{
    public override int StatusCode => StatusCodes.Status404NotFound;

    public override string Title => "Not found.";
}

public sealed class ConflictException(string message) : PortalException(message)
{
    public override int StatusCode => StatusCodes.Status409Conflict;

    public override string Title => "Conflict.";
}

/// <summary>Well-formed input the portal cannot process (422).</summary>
public sealed class UnprocessableException(string message) : PortalException(message)
{
    public override int StatusCode => StatusCodes.Status422UnprocessableEntity;

    public override string Title => "The request cannot be processed.";
}

/// <summary>The caller's role does not allow the action (403); thrown by services, whoever called them.</summary>
public sealed class ForbiddenException(string message) : PortalException(message)
{
    public override int StatusCode => StatusCodes.Status403Forbidden;

    public override string Title => "Forbidden.";
}

/// <summary>The portal cannot take the request now (it is stopping); the client may try again (503).</summary>
public sealed class UnavailableException(string message) : PortalException(message)
{
    public override int StatusCode => StatusCodes.Status503ServiceUnavailable;

    public override string Title => "Service unavailable.";
}
