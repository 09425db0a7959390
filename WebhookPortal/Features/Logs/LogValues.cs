namespace WebhookPortal.Features.Logs;

/// <summary>
/// The words <see cref="LogDirection"/> and <see cref="LogState"/> are stored, filtered and shown as — the same
/// as their JSON names, so columns, query strings and pages keep the values they always had.
/// </summary>
public static class LogValues
{
    public static string ToText(this LogDirection direction) => direction switch
    {
        LogDirection.Inbound => "inbound",
        LogDirection.Outbound => "outbound",
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, null),
    };

    public static string ToText(this LogState state) => state switch
    {
        LogState.Success => "success",
        LogState.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParseDirection(string? text, out LogDirection direction)
    {
        (var known, direction) = text switch
        {
            "inbound" => (true, LogDirection.Inbound),
            "outbound" => (true, LogDirection.Outbound),
            _ => (false, default),
        };
        return known;
    }

    public static bool TryParseState(string? text, out LogState state)
    {
        (var known, state) = text switch
        {
            "success" => (true, LogState.Success),
            "error" => (true, LogState.Error),
            _ => (false, default),
        };
        return known;
    }

    /// <summary>A stored direction; a column holds no other values (the entity configuration writes them).</summary>
    public static LogDirection ParseDirection(string text) =>
        TryParseDirection(text, out var direction) ? direction : throw new FormatException($"'{text}' is not a log direction.");

    public static LogState ParseState(string text) =>
        TryParseState(text, out var state) ? state : throw new FormatException($"'{text}' is not a log state.");
}
