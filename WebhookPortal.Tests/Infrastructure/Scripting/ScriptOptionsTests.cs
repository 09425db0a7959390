using System.ComponentModel.DataAnnotations;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Tests.Infrastructure.Scripting;

/// <summary>Script limits out of range are a validation error naming the setting, not an exception that stops the host.</summary>
public sealed class ScriptOptionsTests
{
    private static List<ValidationResult> Validate(ScriptOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Theory]
    [InlineData(1024L)]
    [InlineData(2L * 1024 * 1024 * 1024)] // above int.MaxValue: this threw an OverflowException at start
    [InlineData(16L * 1024 * 1024 * 1024)]
    public void A_memory_limit_out_of_range_is_reported(long bytes)
    {
        var result = Assert.Single(Validate(new ScriptOptions { MemoryLimitBytes = bytes }));
        Assert.Contains(nameof(ScriptOptions.MemoryLimitBytes), result.MemberNames);
    }

    [Theory]
    [InlineData(65_536L)]
    [InlineData(1024L * 1024 * 1024)]
    public void The_bounds_themselves_are_allowed(long bytes) => Assert.Empty(Validate(new ScriptOptions { MemoryLimitBytes = bytes }));
}
