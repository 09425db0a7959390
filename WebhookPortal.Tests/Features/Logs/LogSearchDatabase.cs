using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>
/// A migrated database and a <see cref="LogService"/> on it, without a running portal: in-memory SQLite, or a database of
/// its own on the PostgreSQL server that PORTAL_TEST_POSTGRES names (the full-text index differs between the two).
/// </summary>
public sealed class LogSearchDatabase(string? migrateTo = null) : ProviderDatabase("wp_logs_", migrateTo)
{
    /// <summary>The service under test; one data protection provider per database, so cursors stay valid across services.</summary>
    public LogService Service(int countLimit = 10_000, int textCountLimit = 1_000) =>
        new(this, Microsoft.Extensions.Options.Options.Create(new LogOptions { CountLimit = countLimit, TextCountLimit = textCountLimit }), Protection);

    public IDataProtectionProvider Protection { get; } = new EphemeralDataProtectionProvider();

    public async Task<List<LogEntry>> AddAsync(params LogEntry[] entries)
    {
        await using var db = CreateDbContext();
        db.LogEntries.AddRange(entries);
        await db.SaveChangesAsync();
        return [.. entries];
    }

    public static LogEntry Entry(DateTime time, string name = "sales", LogDirection direction = LogDirection.Inbound, LogState state = LogState.Success,
        string? requestBody = null, string? responseBody = null, string? error = null, string? eventType = null) => new()
    {
        TimeUtc = time, Direction = direction, Name = name, Method = "POST", Path = "/hooks/a/b", State = state, Status = state == LogState.Error ? 422 : 200,
        RequestBody = requestBody, ResponseBody = responseBody, Error = error, EventType = eventType,
    };

    /// <summary>Every row's last column of a query on <paramref name="connection"/>, as text, one line each (plans, index definitions).</summary>
    public static async Task<string> TextAsync(System.Data.Common.DbConnection connection, string sql, params IReadOnlyList<(string Name, object? Value)> parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(Convert.ToString(reader.GetValue(reader.FieldCount - 1), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return string.Join("\n", lines);
    }
}
