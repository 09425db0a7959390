using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Acornima;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;
using Microsoft.Extensions.Options;

namespace WebhookPortal.Infrastructure.Scripting;

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

          // A regular expression's match timeout is fixed when it is built, so one built early (a literal at the
          // top, a RegExp kept in a variable) would get the whole limit when it runs late: matches run on a copy
          // built with the time left, rebuilt every 10 ms (Jint caches builds per 10 ms step of the timeout, so
          // a rebuild is cheap). test, match, matchAll, replace, search and split all go through exec, one call
          // per match, so a global replace cannot add up match timeouts either.
          const RegExpBuiltIn = RegExp, exec = RegExp.prototype.exec, compile = RegExp.prototype.compile, now = Date.now;
          const copies = new WeakMap();
          const fix = (name, value) => Object.defineProperty(RegExp.prototype, name, { value, writable: false, enumerable: false, configurable: false });
          fix('exec', { exec(s) {
            if (!(this instanceof RegExpBuiltIn)) return Reflect.apply(exec, this, [s]);
            const t = now();
            let entry = copies.get(this);
            if (entry === undefined || t - entry.t >= 10) {
              // The copy carries the built-in exec as its own, so a match costs no argument array.
              const built = new RegExpBuiltIn(this.source, this.flags);
              Object.defineProperty(built, 'exec', { value: exec });
              entry = { t, copy: built };
              copies.set(this, entry);
            }
            const copy = entry.copy;
            const moves = this.global || this.sticky;
            copy.lastIndex = moves ? this.lastIndex : 0;
            const result = copy.exec(s);
            if (moves) this.lastIndex = copy.lastIndex;
            return result;
          } }.exec);
          fix('compile', { compile(...args) { copies.delete(this); return Reflect.apply(compile, this, args); } }.compile);

          // The run itself: the script's function and the JSON of its result (toJSON and getters are script code
          // too). Called from a script, not from the host, so that regular expressions built at run time take
          // the time left of the run (see Run). Returns null, the JSON text, [] when the JSON would pass the
          // limit (the replacer stops it before it is built), or [typeof result] when the result has no JSON.
          const apply = Reflect.apply, stringify = JSON.stringify, tooLong = {};
          let staged = null;
          Object.defineProperty(globalThis, '__portalRun', { writable: false, enumerable: false, configurable: false, value: () => {
            const { f, args } = staged;
            staged = null;
            const result = apply(f, undefined, args);
            if (result === null || result === undefined) return null;
            let total = 0;
            try {
              const json = stringify(result, (key, value) => {
                total += key.length + 4 + (typeof value === 'string' ? value.length + 2 : 8);
                if (total > max) throw tooLong;
                return value;
              });
              return json === undefined ? [typeof result] : json;
            } catch (e) {
              if (e === tooLong) return [];
              throw e;
            }
          } });
          return (f, args) => { staged = { f, args }; };
        }
        """;

    // Scripts whose regular expressions take their match timeout from the engine when they are built, not from
    // these options: interpreted (compiling costs seconds the first time, outside any match timeout).
    private static readonly ScriptPreparationOptions Deferred = new() { ParsingOptions = new ScriptParsingOptions { CompileRegex = false } };

    private static readonly Prepared<Script> Guards = Engine.PrepareScript("(" + GuardsSource + "\n)", source: "guards", strict: true, options: Deferred);

    private static readonly Prepared<Script> RunStaged = Engine.PrepareScript("__portalRun()", source: "run", strict: true, options: Deferred);

    // The first run in a process spends seconds compiling Jint's and the regex interpreter's code paths (more on a
    // loaded machine); doing it once up front keeps that cost out of the first script's time budget.
    private static readonly Lazy<bool> WarmedUp = new(() =>
    {
        using var engine = new Engine(o => o.Strict());
        engine.Invoke(engine.Invoke(engine.Evaluate(Guards), 1000), engine.Evaluate("(s) => s"), new JsArray(engine, [new JsString("x")]));
        engine.Evaluate(RunStaged);
        engine.Evaluate("JSON.stringify([/(a+)+$/.test('aaaaaaaaaaaa!'), new RegExp('^[a-z]+$', 'i').test('Abc'), 'x'.padStart(3), ['a'].join()])");
        return true;
    });

    private readonly ConcurrentDictionary<string, Prepared<Script>> prepared = new();

    /// <summary>Whether this process has run the warm-up (it runs once, when the first sandbox is built).</summary>
    internal static bool IsWarm => WarmedUp.IsValueCreated;

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
            var script = Engine.PrepareScript("(" + source + "\n)", source: "script", options: Deferred);
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
            var stage = engine.Invoke(engine.Evaluate(Guards), limits.MaxStringLength);
            budget.Start();
            var function = engine.Evaluate(script);
            if (function is not Jint.Native.Function.Function)
            {
                throw new ScriptException("The script must be a function, e.g. (record, action) => ({ ... }).");
            }

            var parser = new JsonParser(engine);
            var arguments = jsonArguments.Select(a => a is null ? JsValue.Null : parser.Parse(a)).ToArray();
            engine.Invoke(stage, function, new JsArray(engine, arguments));
            var allocated = GC.GetAllocatedBytesForCurrentThread();

            // Evaluated, not invoked: a function the host invokes runs under the engine's default parser options,
            // whose regex timeout was fixed when the engine was created, so `new RegExp(…)` and string patterns
            // got the whole limit however late they started. Inside a script evaluation they read the engine's
            // current timeout, which the budget keeps at the time left.
            var outcome = engine.Evaluate(RunStaged);

            // A native call (replaceAll, JSON.stringify…) can allocate without a statement boundary to stop it.
            if (GC.GetAllocatedBytesForCurrentThread() - allocated > limits.MemoryLimitBytes)
            {
                throw new MemoryLimitExceededException("allocated past the limit in one call");
            }

            if (outcome.IsNull() || outcome.IsUndefined())
            {
                return null;
            }

            if (outcome is JsArray marker)
            {
                // A function or a symbol has no JSON form: JSON.stringify gives undefined, which is no payload.
                throw new ScriptException(marker.Length == 0
                    ? $"The script's result is longer than {limits.MaxStringLength} characters of JSON; the limit is {limits.MaxStringLength}."
                    : $"The script must return JSON data (an object, array, string, number, boolean or null), not a {marker[0]}.");
            }

            var text = outcome.ToString();
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
    /// also keeps the engine's regex timeout at the time left, so a regular expression built late in the run (a
    /// literal, <c>new RegExp(…)</c>, or a string pattern given to match/search/split) cannot outlive the budget.
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

            engineOptions().Constraints.RegexTimeout = Quantized(left);
        }

        // Jint caches built patterns by timeout: whole steps of 10 ms (rounded down) let a pattern that runs many
        // times reuse its build instead of building anew for every match.
        private static TimeSpan Quantized(TimeSpan left)
        {
            var stepped = TimeSpan.FromMilliseconds(Math.Floor(left.TotalMilliseconds / 10) * 10);
            return stepped > Floor ? stepped : Floor;
        }

        public override void Reset()
        {
            // One budget for the run: entering the engine again does not refund time.
        }
    }
}
