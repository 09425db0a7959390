namespace WebhookPortal.Features.Logs;

/// <summary>
/// One page of a log search and the number of entries the search matched: exact up to the count limit
/// (Logs:CountLimit, 10,000), beyond it <see cref="TotalCapped"/> is true and <see cref="Total"/> is the limit ("10,000+").
/// </summary>
public sealed record LogPage(int Total, IReadOnlyList<LogItem> Items)
{
    /// <summary>More entries match than <see cref="Total"/>: counting stopped at the limit.</summary>
    public bool TotalCapped { get; init; }

    /// <summary>The cursor of the next (older) page, for <c>cursor=</c>; null on the last page.</summary>
    public string? Next { get; init; }

    /// <summary>The total as people read it: "1,234", or "10,000+" when counting stopped at the limit.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string TotalText => TotalCapped ? $"{Total:N0}+" : $"{Total:N0}";
}
