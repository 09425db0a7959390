namespace WebhookPortal.Features.Deliveries;

/// <summary>What a target says about a due delivery before it is attempted.</summary>
public enum AdmissionKind
{
    /// <summary>Attempt it now.</summary>
    Go,

    /// <summary>Not now, and not counted as an attempt: it waits until <see cref="Admission.Until"/> (behind a failing receiver's probe).</summary>
    Wait,

    /// <summary>Kept, not attempted, until the target is enabled again (<see cref="DeliveryState.Held"/>).</summary>
    Hold,
}

/// <summary>A target's answer for one due delivery: go, wait until a time, or hold; with why, for the delivery's last error.</summary>
public readonly record struct Admission(AdmissionKind Kind, DateTime? Until = null, string? Reason = null)
{
    public static readonly Admission Go = new(AdmissionKind.Go);

    public static Admission WaitUntil(DateTime until, string reason) => new(AdmissionKind.Wait, until, reason);

    public static Admission Hold(string reason) => new(AdmissionKind.Hold, null, reason);
}
