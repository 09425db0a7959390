using System.ComponentModel.DataAnnotations;

namespace WebhookPortal.Infrastructure.Scripting;

public sealed class ScriptOptions
{
    public const string Section = "Scripts";

    /// <summary>Wall-clock budget of one run, covering everything the script does (regular expressions included).</summary>
    [Range(10, 60_000)]
    public int TimeoutMs { get; set; } = 500;

    // A long range: with int bounds, a value above 2^31 threw an OverflowException at start instead of a validation error.
    [Range(typeof(long), "65536", "1073741824")]
    public long MemoryLimitBytes { get; set; } = 4 * 1024 * 1024;

    [Range(8, 10_000)]
    public int RecursionLimit { get; set; } = 64;

    /// <summary>Statements one run may execute: a CPU bound that does not depend on how busy the machine is.</summary>
    [Range(1_000, 1_000_000_000)]
    public int MaxStatements { get; set; } = 10_000_000;

    /// <summary>Longest array a script may create (elements).</summary>
    [Range(1_000, 100_000_000)]
    public int MaxArrayLength { get; set; } = 100_000;

    /// <summary>Longest string a script may build with repeat, padStart, padEnd, concat or join, and longest JSON result (characters).</summary>
    [Range(1_000, 500_000_000)]
    public int MaxStringLength { get; set; } = 1_048_576;
}
