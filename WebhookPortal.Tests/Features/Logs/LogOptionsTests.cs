using Microsoft.Extensions.Options;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>Logs:SearchIndexBatch: how many new entries wait before a group commit adds them to the search index.</summary>
public sealed class LogOptionsTests
{
    private static LogOptions Bind(params (string Key, string Value)[] settings) => OptionsBinding.Bind<LogOptions>(services => services.AddLogs(), settings);

    [Fact]
    public void The_search_index_batch_defaults_to_256_and_can_be_set()
    {
        Assert.Equal(256, Bind().SearchIndexBatch);
        Assert.Equal(1, Bind(("Logs:SearchIndexBatch", "1")).SearchIndexBatch);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("100001")]
    public void A_search_index_batch_out_of_range_is_refused_with_its_name(string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(("Logs:SearchIndexBatch", value)));
        Assert.Contains("SearchIndexBatch", error.Message);
    }
}
