using System.Diagnostics;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Tests.Security;

/// <summary>
/// Trust boundary: the code an administrator writes (listener and event scripts) runs inside bounds that hold to
/// within their settings, and a script that breaks one fails with an error naming it.
/// </summary>
public sealed class ScriptBoundsTests
{
    // Generous for a loaded 2-core machine, and still far below the 10 s the regex engine allowed before.
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(1500);

    private static ScriptSandbox Sandbox(int timeoutMs = 500, long memory = 4 * 1024 * 1024, int statements = 10_000_000) =>
        new(Options.Create(new ScriptOptions { TimeoutMs = timeoutMs, MemoryLimitBytes = memory, MaxStatements = statements }));

    private static (ScriptException Error, TimeSpan Elapsed) Fail(ScriptSandbox sandbox, string script)
    {
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<ScriptException>(() => sandbox.Run(script, "{}"));
        return (error, watch.Elapsed);
    }

    [Fact]
    public void A_catastrophic_regex_stops_at_the_scripts_time_limit_not_the_regex_engines_ten_seconds()
    {
        var (error, elapsed) = Fail(Sandbox(), "(r) => /(a+)+$/.test('a'.repeat(40) + '!')");

        Assert.Contains("regular expression", error.Message);
        Assert.Contains("500 ms", error.Message);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(500) + Margin, $"took {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void A_regex_started_late_gets_only_the_time_that_is_left()
    {
        // 350 ms of busy work, then the catastrophic pattern: the run still ends near 500 ms, not 350 + 500.
        var sandbox = Sandbox(memory: 256 * 1024 * 1024);
        var (error, elapsed) = Fail(sandbox, "(r) => { const end = Date.now() + 350; while (Date.now() < end) {} return /(b+)+$/.test('b'.repeat(40) + '!'); }");

        Assert.Contains("500 ms", error.Message);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(500) + Margin, $"took {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void The_time_limit_covers_the_whole_run_not_each_entry_into_the_engine()
    {
        // The script's top level runs first, then the function: both share one budget.
        var sandbox = Sandbox(timeoutMs: 300, memory: 256 * 1024 * 1024);
        var (error, elapsed) = Fail(sandbox, "(() => { const end = Date.now() + 200; while (Date.now() < end) {} return (r) => { const again = Date.now() + 200; while (Date.now() < again) {} return r; }; })()");

        Assert.Contains("ran longer than 300 ms", error.Message);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(300) + Margin, $"took {elapsed.TotalMilliseconds} ms");
    }

    [Theory]
    [InlineData("(r) => new Array(1e9).length", "array longer than its limit of 100000")]
    [InlineData("(r) => 'a'.repeat(1e9).length", "limit is 1048576")]
    [InlineData("(r) => 'a'.repeat(5e8).length", "limit is 1048576")]
    [InlineData("(r) => 'x'.padStart(5e8).length", "limit is 1048576")]
    [InlineData("(r) => 'x'.padEnd(5e8).length", "limit is 1048576")]
    [InlineData("(r) => { const s = 'a'.repeat(1e6); return Array(400).fill(s).join('').length; }", "limit is 1048576")]
    [InlineData("(r) => { const s = 'a'.repeat(1e6); return s.concat(s, s).length; }", "limit is 1048576")]
    [InlineData("(r) => { let s = 'a'; for (let i = 0; i < 40; i++) s = s + s; return s.length; }", "4194304 bytes of memory")]
    [InlineData("(r) => { const chunk = 'abcdefghij'.repeat(100); let s = ''; while (true) s += chunk; }", "4194304 bytes of memory")]
    [InlineData("(r) => { const a = []; while (true) a.push([1, 2, 3, 4, 5, 6, 7, 8]); }", "4194304 bytes of memory")]
    [InlineData("(r) => { const s = 'a'.repeat(1e6); return Array(1000).fill(s); }", "result is longer than 1048576 characters")]
    [InlineData("(r) => { const f = (n) => f(n + 1); return f(0); }", "recursed deeper than its limit of 64")]
    public void Every_size_bound_fails_the_run_quickly_and_says_which(string script, string expected)
    {
        var (error, elapsed) = Fail(Sandbox(), script);

        Assert.Contains(expected, error.Message);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(500) + Margin, $"took {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void A_statement_budget_stops_a_busy_script_before_its_time_limit()
    {
        var (error, elapsed) = Fail(Sandbox(timeoutMs: 30_000, statements: 100_000), "(r) => { let i = 0; while (true) i++; }");

        Assert.Contains("more than its limit of 100000 statements", error.Message);
        Assert.True(elapsed < Margin, $"took {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void The_string_guards_cannot_be_removed_by_the_script()
    {
        var (error, _) = Fail(Sandbox(), "(r) => { String.prototype.repeat = function () { return ''; }; return 1; }");
        Assert.Contains("read only", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Scripts_within_their_bounds_still_work()
    {
        var sandbox = Sandbox();
        Assert.Equal("\"" + new string('a', 1000) + "\"", sandbox.Run("(r) => 'a'.repeat(1000)", "{}"));
        Assert.Equal("\"a-b-c\"", sandbox.Run("(r) => ['a', 'b', 'c'].join('-')", "{}"));
        Assert.Equal("\"  7\"", sandbox.Run("(r) => String(r.n).padStart(3)", """{"n":7}"""));
        Assert.Equal("true", sandbox.Run("(r) => /^[a-z]+@[a-z]+\\.com$/.test(r.mail)", """{"mail":"x@y.com"}"""));
        Assert.Equal("""{"d":"2026-01-01T00:00:00.000Z"}""", sandbox.Run("(r) => ({ d: new Date(Date.UTC(2026, 0, 1)) })", "{}"));
    }
}
