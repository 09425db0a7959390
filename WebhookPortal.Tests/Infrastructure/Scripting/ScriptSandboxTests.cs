using System.Diagnostics;
using Microsoft.Extensions.Options;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Tests.Infrastructure.Scripting;

public sealed class ScriptSandboxTests
{
    private readonly ScriptSandbox sandbox = new(Options.Create(new ScriptOptions { TimeoutMs = 300 }));

    [Fact]
    public void Runs_a_function_on_json_arguments_and_returns_json()
    {
        var result = sandbox.Run("(record, action) => ({ id: record.id, name: record.name.toUpperCase(), action })", """{"id":7,"name":"deal"}""", "\"insert\"");
        Assert.Equal("""{"id":7,"name":"DEAL","action":"insert"}""", result);
    }

    [Fact]
    public void Null_or_undefined_results_mean_no_payload()
    {
        Assert.Null(sandbox.Run("(r) => r.isProject ? r : null", """{"isProject":false}"""));
        Assert.Null(sandbox.Run("(r) => { if (!r.isProject) return; return r; }", """{"isProject":false}"""));
        Assert.NotNull(sandbox.Run("(r) => r.isProject ? r : null", """{"isProject":true}"""));
    }

    [Theory]
    [InlineData("(r) => () => r", "function")]
    [InlineData("(r) => Symbol('x')", "symbol")]
    public void A_result_with_no_json_form_is_a_script_error_not_a_payload(string script, string kind)
    {
        var error = Assert.Throws<ScriptException>(() => sandbox.Run(script, "{}"));
        Assert.Contains("must return JSON data", error.Message);
        Assert.Contains(kind, error.Message);
    }

    [Fact]
    public void A_syntax_error_reports_its_line()
    {
        var error = Assert.Throws<ScriptException>(() => sandbox.Compile("(r) => {\n  return r +;\n}"));
        Assert.Equal(2, error.Line);
        Assert.Contains("Syntax error", error.Message);
    }

    [Fact]
    public void A_thrown_error_gives_its_message()
    {
        var error = Assert.Throws<ScriptException>(() => sandbox.Run("(r) => { throw new Error('amount is required'); }", "{}"));
        Assert.Equal("amount is required", error.Message);
    }

    [Fact]
    public void An_endless_loop_is_stopped_quickly()
    {
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<ScriptException>(() => sandbox.Run("(r) => { while (true) {} }", "{}"));
        Assert.Contains("ran longer than 300 ms", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Deep_recursion_and_memory_hogs_are_stopped()
    {
        Assert.Contains("recursed", Assert.Throws<ScriptException>(() => sandbox.Run("(r) => { const f = (n) => f(n + 1); return f(0); }", "{}")).Message);
        Assert.Contains("memory", Assert.Throws<ScriptException>(() => sandbox.Run("(r) => { const a = []; while (true) { a.push('x'.repeat(10000)); } }", "{}")).Message);
    }

    [Fact]
    public void There_is_no_clr_access_no_io_and_no_eval()
    {
        Assert.Throws<ScriptException>(() => sandbox.Run("(r) => System.IO.File.ReadAllText('/etc/passwd')", "{}"));
        Assert.Throws<ScriptException>(() => sandbox.Run("(r) => importNamespace('System.IO')", "{}"));
        Assert.Throws<ScriptException>(() => sandbox.Run("(r) => require('fs')", "{}"));
        Assert.Throws<ScriptException>(() => sandbox.Run("(r) => eval('1+1')", "{}"));
        Assert.Throws<ScriptException>(() => sandbox.Run("(r) => fetch('http://example.com')", "{}"));
    }

    [Fact]
    public void A_script_that_is_not_a_function_is_refused() =>
        Assert.Contains("must be a function", Assert.Throws<ScriptException>(() => sandbox.Run("42", "{}")).Message);

    [Fact]
    public void The_compiled_script_is_reused()
    {
        var first = sandbox.Compile("(r) => r");
        var second = sandbox.Compile("(r) => r");
        Assert.Equal(first.Program, second.Program);
    }
}
