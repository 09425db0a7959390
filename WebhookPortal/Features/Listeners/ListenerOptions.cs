using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Features.Listeners;

public sealed class ListenerOptions
{
    public const string Section = "Listeners";

    /// <summary>Largest accepted request body; larger requests get 413 without being buffered.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 65536;

    /// <summary>How long a listener's settings are cached by the receiver (changes on this instance apply at once).</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a rotated-out token is still accepted, unless the rotation names another overlap.</summary>
    public TimeSpan TokenOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Generate Tables: most columns one table may get from a sample.</summary>
    [Range(1, 1000)]
    public int MaxColumns { get; set; } = 200;

    /// <summary>Generate Tables: most tables (root and child tables) one sample may make.</summary>
    [Range(1, 200)]
    public int MaxTables { get; set; } = 20;

    /// <summary>Generate Tables: deepest nesting of objects and arrays of objects in a record (a record's own fields are level 1).</summary>
    [Range(1, 32)]
    public int MaxDepth { get; set; } = 8;

    public Tables.SchemaLimits SchemaLimits => new(MaxColumns, MaxTables, MaxDepth);
}
