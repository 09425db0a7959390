using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Acornima;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Scripting;

public sealed class ScriptOptions
{
    public const string Section = "Scripts";

    [Range(10, 60_000)]
    public int TimeoutMs { get; set; } = 500;

    [Range(65_536, 1_073_741_824)]
    public long MemoryLimitBytes { get; set; } = 4 * 1024 * 1024;

    [Range(8, 10_000)]
    public int RecursionLimit { get; set; } = 64;
}

/// <summary>A script that did not parse, threw, or broke a limit; the message is safe to show to its author.</summary>
public sealed class ScriptException(string message, int? line = null) : Exception(message)
{
    public int? Line { get; } = line;
}

/// <summary>
/// Runs user JavaScript with Jint: a function expression such as <c>(record, action) =&gt; ({ … })</c>, called with
/// JSON arguments and returning JSON. No CLR access, no I/O, bounded time, memory and recursion;
/// each script version is parsed once and cached.
/// </summary>
public sealed class ScriptSandbox(IOptions<ScriptOptions> options)
{
    private readonly ConcurrentDictionary<string, Prepared<Script>> prepared = new();

    /// <summary>Parses the script (cached); throws <see cref="ScriptException"/> with the line for a syntax error.</summary>
    public Prepared<Script> Compile(string source)
    {
        if (prepared.TryGetValue(source, out var cached))
        {
            return cached;
        }

        try
        {
            // Wrapped so that a bare arrow function is an expression whose value is the function.
            var script = Engine.PrepareScript("(" + source + "\n)", source: "script");
            if (prepared.Count > 1000)
            {
                prepared.Clear();
            }

            return prepared[source] = script;
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            throw new ScriptException($"Syntax error: {parse.Description}", parse.LineNumber);
        }
        catch (ParseErrorException ex)
        {
            throw new ScriptException($"Syntax error: {ex.Description}", ex.LineNumber);
        }
    }

    /// <summary>Calls the script's function with JSON arguments; returns its result as JSON, or null for null/undefined.</summary>
    public string? Run(string source, params string?[] jsonArguments)
    {
        var script = Compile(source);
        var limits = options.Value;
        using var engine = new Engine(o => o
            .Strict()
            .DisableStringCompilation()
            .LimitRecursion(limits.RecursionLimit)
            .LimitMemory(limits.MemoryLimitBytes)
            .TimeoutInterval(TimeSpan.FromMilliseconds(limits.TimeoutMs)));
        try
        {
            var function = engine.Evaluate(script);
            if (function is not Jint.Native.Function.Function)
            {
                throw new ScriptException("The script must be a function, e.g. (record, action) => ({ ... }).");
            }

            var parser = new JsonParser(engine);
            var arguments = jsonArguments.Select(a => a is null ? JsValue.Null : parser.Parse(a)).ToArray();
            var result = engine.Invoke(function, arguments);
            if (result.IsNull() || result.IsUndefined())
            {
                return null;
            }

            // A function or a symbol has no JSON form: JSON.stringify gives undefined, which is no payload.
            var json = new JsonSerializer(engine).Serialize(result);
            if (json.IsUndefined())
            {
                throw new ScriptException($"The script must return JSON data (an object, array, string, number, boolean or null), not a {(result is Jint.Native.Function.Function ? "function" : result.Type.ToString().ToLowerInvariant())}.");
            }

            return json.ToString();
        }
        catch (JavaScriptException ex)
        {
            throw new ScriptException(ex.Error.IsObject() && ex.Error.AsObject().Get("message") is { } message && !message.IsUndefined() ? message.ToString() : ex.Error.ToString(), ex.Location.Start.Line);
        }
        catch (TimeoutException)
        {
            throw new ScriptException($"The script ran longer than {limits.TimeoutMs} ms and was stopped.");
        }
        catch (MemoryLimitExceededException)
        {
            throw new ScriptException($"The script used more than {limits.MemoryLimitBytes} bytes of memory and was stopped.");
        }
        catch (RecursionDepthOverflowException)
        {
            throw new ScriptException($"The script recursed deeper than {limits.RecursionLimit} calls and was stopped.");
        }
        catch (JintException ex)
        {
            throw new ScriptException(ex.Message);
        }
    }
}
