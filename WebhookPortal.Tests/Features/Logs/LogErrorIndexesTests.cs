using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using WebhookPortal.Data;
using WebhookPortal.Features.Logs;
using static WebhookPortal.Tests.Features.Logs.LogSearchDatabase;

namespace WebhookPortal.Tests.Features.Logs;

/// <summary>
/// The log's indexes for errors hold error entries only (issue 17: the successful requests, nearly all of the log,
/// wrote three indexes for nothing). The viewer's error queries still go through them, on SQLite and on PostgreSQL
/// when the suite runs there, and both states are still found exactly.
/// </summary>
public sealed class LogErrorIndexesTests : IDisposable
{
    private static readonly DateTime Time = new(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc);

    private readonly LogSearchDatabase database = new();

    public void Dispose() => database.Dispose();

    // 60 entries, every third an error, across two names and both directions; 50 to a page, so each query also counts.
    private async Task<List<LogEntry>> SeedAsync() =>
        await database.AddAsync([.. Enumerable.Range(0, 60).Select(i => LogSearchDatabase.Entry(
            Time.AddSeconds(i), i % 2 == 0 ? "orders" : "sales", i % 4 < 2 ? LogDirection.Inbound : LogDirection.Outbound,
            i % 3 == 0 ? LogState.Error : LogState.Success))]);

    public static TheoryData<string?, string?, string> ErrorQueries => new()
    {
        // direction, name, the index the page and the count go through
        { null, null, "IX_LogEntries_Errors" },
        { null, "orders", "IX_LogEntries_Errors_Name" },
        { "outbound", null, "IX_LogEntries_Errors_Direction" },
    };

    [Theory]
    [MemberData(nameof(ErrorQueries))]
    public async Task The_viewers_error_queries_go_through_the_indexes_of_errors(string? direction, string? name, string index)
    {
        var seeded = await SeedAsync();
        var commands = new CommandLog();
        var service = new LogService(new Factory(database, commands), Microsoft.Extensions.Options.Options.Create(new LogOptions()), database.Protection);

        var page = await service.SearchAsync(new LogQuery(direction, name, "error", null, null, null, null, null, PageSize: 5));

        var expected = seeded.Where(e => e.State == LogState.Error && (name is null || e.Name == name) && (direction is null || e.Direction == LogDirection.Outbound))
            .OrderByDescending(e => e.TimeUtc).Select(e => e.Id).ToList();
        Assert.Equal(expected.Take(5), page.Items.Select(i => i.Id));
        Assert.Equal(expected.Count, page.Total);
        Assert.Equal(2, commands.Texts.Count); // the page, then its count
        foreach (var (sql, parameters) in commands.Texts)
        {
            Assert.Contains("\"State\" = 'error'", sql, StringComparison.Ordinal);
            // SQLite takes the index whose columns match the filters. PostgreSQL weighs them by cost: with 20 errors it
            // may take the plain one of errors and filter the direction on it; either way only error entries are read.
            var plan = await PlanAsync(sql, parameters);
            Assert.Contains(database.OnPostgres ? "IX_LogEntries_Errors" : index, plan, StringComparison.Ordinal);
            Assert.DoesNotContain("IX_LogEntries_TimeUtc", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Successful_entries_are_in_no_index_of_errors_and_are_still_found()
    {
        var seeded = await SeedAsync();
        var service = database.Service();

        var successes = await service.SearchAsync(new LogQuery(null, "sales", "success", null, null, null, null, null, PageSize: 500));
        var errors = await service.SearchAsync(new LogQuery(null, null, "error", null, null, null, null, null, PageSize: 500));

        Assert.Equal(seeded.Where(e => e.Name == "sales" && e.State == LogState.Success).OrderByDescending(e => e.TimeUtc).Select(e => e.Id), successes.Items.Select(i => i.Id));
        Assert.Equal(20, errors.Total);
        Assert.All(errors.Items, i => Assert.Equal(LogState.Error, i.State));

        await using var db = database.CreateDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        foreach (var index in new[] { "IX_LogEntries_Errors", "IX_LogEntries_Errors_Name", "IX_LogEntries_Errors_Direction" })
        {
            if (database.OnPostgres)
            {
                Assert.Contains("WHERE ((\"State\")::text = 'error'::text)", await TextAsync(connection, $"SELECT indexdef FROM pg_indexes WHERE indexname = '{index}'"), StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("WHERE \"State\" = 'error'", await TextAsync(connection, $"SELECT sql FROM sqlite_master WHERE name = '{index}'"), StringComparison.Ordinal);
                Assert.Equal("20", await TextAsync(connection, $"SELECT count(*) FROM \"LogEntries\" INDEXED BY \"{index}\" WHERE \"State\" = 'error'"));
            }
        }

        // The indexes they replace are gone: nothing else holds the state of every entry.
        var names = database.OnPostgres
            ? await TextAsync(connection, "SELECT indexname FROM pg_indexes WHERE tablename = 'LogEntries'")
            : await TextAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'LogEntries'");
        Assert.DoesNotContain("State", names.Replace("IX_LogEntries_Errors", ""), StringComparison.Ordinal);
    }

    /// <summary>The plan of a command as the service sent it: SQLite's, or PostgreSQL's with sequential scans off (60 rows make one cheapest).</summary>
    private async Task<string> PlanAsync(string sql, IReadOnlyList<(string Name, object? Value)> parameters)
    {
        await using var db = database.CreateDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        if (database.OnPostgres)
        {
            await TextAsync(connection, "SET enable_seqscan = off");
        }

        return await TextAsync(connection, (database.OnPostgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql, parameters);
    }

    /// <summary>The log queries a service sends, with their parameters.</summary>
    private sealed class CommandLog : DbCommandInterceptor
    {
        public List<(string Sql, IReadOnlyList<(string Name, object? Value)> Parameters)> Texts { get; } = [];

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("\"LogEntries\"", StringComparison.Ordinal))
            {
                Texts.Add((command.CommandText, [.. command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
            }

            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }

    private sealed class Factory(LogSearchDatabase database, CommandLog commands) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => database.CreateDbContext(commands);
    }
}
