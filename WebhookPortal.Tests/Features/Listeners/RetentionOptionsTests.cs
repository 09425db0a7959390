using System.ComponentModel.DataAnnotations;
using WebhookPortal.Features.Listeners;

namespace WebhookPortal.Tests.Features.Listeners;

public sealed class RetentionOptionsTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(500, true)]
    [InlineData(10_000, true)]
    [InlineData(0, false)]
    [InlineData(10_001, false)] // a batch of ids is one statement's parameters: SQLite allows 32,766
    public void The_batch_size_stays_within_one_statements_parameters(int batchSize, bool valid)
    {
        var options = new RetentionOptions { BatchSize = batchSize };
        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }
}
