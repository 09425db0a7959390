using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Acornima;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Scripting;

public sealed class ScriptOptions
{
    public const string Section = "Scripts";

    /// <summary>Wall-clock budget of one run, covering everything the script does (regular expressions included).</summary>
    [Range(10, 60_000)]
    public int TimeoutMs { get; set; } = 500;

    [Range(65_536, 1_073_741_824)]
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

/// <summary>A script that did not parse, threw, or broke a limit; the message is safe to show to its author.</summary>
public sealed class ScriptException(string message, int? line = null) : Exception(message)
{
    public int? Line { get; } = line;
}

/// <summary>
/// Runs user JavaScript with Jint: a function expression such as <c>(record, action) =&gt; ({ … })</c>, called with
/// JSON arguments and returning JSON. No CLR access, no I/O; every run is bounded in time (regular expressions
/// included), memory, statements, recursion, array length, string length and result size, and a run that breaks
/// a bound fails with a <see cref="ScriptException"/> naming it. Each script version is parsed once and cached.
/// </summary>
public sealed class ScriptSandbox
{
    private readonly IOptions<ScriptOptions> options;

    // Jint's memory limit is only checked between statements, so a single native call such as 'a'.repeat(5e8)
    // would allocate a gigabyte before anything notices: these guards check the length first.
    private const string GuardsSource = """
        (max) => {
          const check = (n, what) => {
            if (n > max) throw new RangeError('The string built by ' + what + ' would be ' + n + ' characters long; the limit is ' + max + '.');
          };
          const count = (n) => { n = Math.trunc(Number(n)); return n > 0 && isFinite(n) ? n : 0; };
          const len = (v) => v === undefined || v === null ? 0 : String(v).length;
          const guard = (proto, name, size) => {
            const original = proto[name];
            const guarded = { [name](...args) { check(size(this, args), name); return original.apply(this, args); } }[name];
            Object.defineProperty(proto, name, { value: guarded, writable: false, enumerable: false, configurable: false });
          };
          guard(String.prototype, 'repeat', (s, [n]) => String(s).length * count(n));
          guard(String.prototype, 'padStart', (s, [n]) => count(n));
          guard(String.prototype, 'padEnd', (s, [n]) => count(n));
          guard(String.prototype, 'concat', (s, parts) => parts.reduce((total, part) => total + len(part), String(s).length));
          guard(Array.prototype, 'join', (a, [separator]) => {
            const length = a.length >>> 0;
            let total = length > 1 ? (length - 1) * (separator === undefined ? 1 : String(separator).length) : 0;
            for (let i = 0; i < length && total <= max; i++) total += len(a[i]);
            return total;
          });
        }
        """;

    private static readonly Prepared<Script> Guards = Engine.PrepareScript("(" + GuardsSource + "\n)", source: "guards", strict: true);

    // The first run in a process spends seconds compiling Jint's and the regex interpreter's code paths (more on a
    // loaded machine); doing it once up front keeps that cost out of the first script's time budget.
    private static readonly Lazy<bool> WarmedUp = new(() =>
    {
        using var engine = new Engine(o => o.Strict());
        engine.Invoke(engine.Evaluate(Guards), 1000);
        engine.Evaluate("JSON.stringify([/(a+)+$/.test('aaaaaaaaaaaa!'), new RegExp('^[a-z]+$', 'i').test('Abc'), 'x'.padStart(3), ['a'].join()])");
        return true;
    });

    private readonly ConcurrentDictionary<string, Prepared<Script>> prepared = new();

    public ScriptSandbox(IOptions<ScriptOptions> options)
    {
        this.options = options;
        _ = WarmedUp.Value;
    }

    /// <summary>Parses the script (cached); throws <see cref="ScriptException"/> with the line for a syntax error.</summary>
    public Prepared<Script> Compile(string source)
    {
        if (prepared.TryGetValue(source, out var cached))
        {
            return cached;
        }

        try
        {
            // Wrapped so that a bare arrow function is an expression whose value is the function. Regular expressions
            // are interpreted, not compiled: compiling costs seconds the first time, outside any match timeout.
            var script = Engine.PrepareScript("(" + source + "\n)", source: "script",
                options: new ScriptPreparationOptions { ParsingOptions = new ScriptParsingOptions { CompileRegex = false } });
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
        Jint.Options? engineOptions = null;
        var budget = new RunBudget(TimeSpan.FromMilliseconds(limits.TimeoutMs), () => engineOptions!);
        using var engine = new Engine(o =>
        {
            engineOptions = o;
            o.Strict()
                .DisableStringCompilation()
                .LimitRecursion(limits.RecursionLimit)
                .LimitMemory(limits.MemoryLimitBytes)
                .MaxStatements(limits.MaxStatements)
                .Constraint(budget);
            o.Constraints.MaxArraySize = (uint)limits.MaxArrayLength;
            o.Constraints.RegexTimeout = budget.Remaining;
        });
        try
        {
            engine.Invoke(engine.Evaluate(Guards), limits.MaxStringLength);
            budget.Start();
            var function = engine.Evaluate(script);
            if (function is not Jint.Native.Function.Function)
            {
                throw new ScriptException("The script must be a function, e.g. (record, action) => ({ ... }).");
            }

            var parser = new JsonParser(engine);
            var arguments = jsonArguments.Select(a => a is null ? JsValue.Null : parser.Parse(a)).ToArray();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var result = engine.Invoke(function, arguments);

            // A native call (replaceAll, JSON.stringify…) can allocate without a statement boundary to stop it.
            if (GC.GetAllocatedBytesForCurrentThread() - allocated > limits.MemoryLimitBytes)
            {
                throw new MemoryLimitExceededException("allocated past the limit in one call");
            }

            if (result.IsNull() || result.IsUndefined())
            {
                return null;
            }

            // Serializing a result made of one long string repeated a thousand times would build gigabytes: estimate first.
            if (JsonSize.Exceeds(engine, result, limits.MaxStringLength))
            {
                throw new ScriptException($"The script's result is longer than {limits.MaxStringLength} characters of JSON; the limit is {limits.MaxStringLength}.");
            }

            // A function or a symbol has no JSON form: JSON.stringify gives undefined, which is no payload.
            var json = new JsonSerializer(engine).Serialize(result);
            if (json.IsUndefined())
            {
                throw new ScriptException($"The script must return JSON data (an object, array, string, number, boolean or null), not a {(result is Jint.Native.Function.Function ? "function" : result.Type.ToString().ToLowerInvariant())}.");
            }

            var text = json.ToString();
            if (text.Length > limits.MaxStringLength)
            {
                throw new ScriptException($"The script's result is longer than {limits.MaxStringLength} characters of JSON; the limit is {limits.MaxStringLength}.");
            }

            return text;
        }
        catch (JavaScriptException ex)
        {
            throw new ScriptException(ex.Error.IsObject() && ex.Error.AsObject().Get("message") is { } message && !message.IsUndefined() ? message.ToString() : ex.Error.ToString(), ex.Location.Start.Line);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new ScriptException($"A regular expression ran past the script's time limit of {limits.TimeoutMs} ms and was stopped.");
        }
        catch (TimeoutException)
        {
            throw new ScriptException($"The script ran longer than {limits.TimeoutMs} ms (its time limit) and was stopped.");
        }
        catch (MemoryLimitExceededException ex) when (ex.Message.Contains("array size", StringComparison.OrdinalIgnoreCase))
        {
            throw new ScriptException($"The script made an array longer than its limit of {limits.MaxArrayLength} elements and was stopped.");
        }
        catch (MemoryLimitExceededException)
        {
            throw new ScriptException($"The script used more than {limits.MemoryLimitBytes} bytes of memory (its memory limit) and was stopped.");
        }
        catch (StatementsCountOverflowException)
        {
            throw new ScriptException($"The script ran more than its limit of {limits.MaxStatements} statements and was stopped.");
        }
        catch (RecursionDepthOverflowException)
        {
            throw new ScriptException($"The script recursed deeper than its limit of {limits.RecursionLimit} calls and was stopped.");
        }
        catch (JintException ex)
        {
            throw new ScriptException(ex.Message);
        }
    }

    /// <summary>
    /// One wall-clock budget for the whole run (Jint's own timeout restarts at each entry into the engine), which
    /// also keeps the regex timeout at the time left, so a regular expression literal evaluated late cannot outlive the
    /// budget. (One built with <c>new RegExp(…)</c> gets the whole limit: Jint fixes that timeout when the engine starts.)
    /// </summary>
    private sealed class RunBudget(TimeSpan budget, Func<Jint.Options> engineOptions) : Jint.Constraint
    {
        private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(1);
        private long started = Stopwatch.GetTimestamp();

        /// <summary>Starts the clock once the portal's own set-up is done: only the script's time counts.</summary>
        public void Start() => started = Stopwatch.GetTimestamp();

        public TimeSpan Remaining
        {
            get
            {
                var left = budget - Stopwatch.GetElapsedTime(started);
                return left > Floor ? left : Floor;
            }
        }

        public override void Check()
        {
            var left = budget - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            engineOptions().Constraints.RegexTimeout = left > Floor ? left : Floor;
        }

        public override void Reset()
        {
            // One budget for the run: entering the engine again does not refund time.
        }
    }

    /// <summary>A cheap upper estimate of a value's JSON length that stops as soon as it passes the limit.</summary>
    private static class JsonSize
    {
        public static bool Exceeds(Engine engine, JsValue value, long limit)
        {
            long total = 0;
            var pending = new Stack<(JsValue Value, int Depth)>();
            pending.Push((value, 0));
            while (pending.Count > 0)
            {
                var (current, depth) = pending.Pop();
                if (current is JsString text)
                {
                    total += text.Length + 2;
                }
                else if (current is ObjectInstance obj && current is not Jint.Native.Function.Function && depth < 1000)
                {
                    if (obj.Get("toJSON") is Jint.Native.Function.Function toJson)
                    {
                        pending.Push((engine.Invoke(toJson, obj, []), depth + 1));
                        continue;
                    }

                    foreach (var key in obj.GetOwnPropertyKeys(Types.String))
                    {
                        total += key.ToString().Length + 4;
                        pending.Push((obj.Get(key), depth + 1));
                        if (total > limit)
                        {
                            return true;
                        }
                    }
                }
                else
                {
                    total += 8;
                }

                if (total > limit)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
