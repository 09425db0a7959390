using Microsoft.EntityFrameworkCore;
using WebhookPortal.Features.Deliveries;
using WebhookPortal.Tests.Support;

namespace WebhookPortal.Tests.Features.Deliveries;

/// <summary>
/// A runner's claim of its next few deliveries must cost the same whatever waits behind them (issue 17, delivery drain).
/// Without statistics, SQLite chose the (State, NextAttemptUtc) index for it, so every claim read the rows of all due
/// deliveries: 2 ms a claim with 8,000 waiting, the drain's most expensive statement (per-statement times,
/// bench/RESULTS.md). These tests read SQLite's plan for the statement the recorder runs.
/// </summary>
public sealed class DeliveryClaimPlanTests
{
    [Fact]
    public void On_SQLite_a_claim_finds_its_deliveries_by_their_ids()
    {
        var plan = PlanOf(AttemptRecorder.ClaimSql(8, sqlite: true));

        Assert.Contains("(Id=?)", plan);
        Assert.DoesNotContain("State", plan);
    }

    [Fact]
    public void Without_the_hint_SQLite_would_read_every_due_delivery_for_a_claim()
    {
        // The same statement as PostgreSQL gets (its planner has statistics): on SQLite it scans the due range. This is
        // what the claim ran before; if SQLite's planner ever stops doing so, the hint may go.
        var plan = PlanOf(AttemptRecorder.ClaimSql(8, sqlite: false));

        Assert.Contains("IX_Deliveries_State_NextAttemptUtc", plan);
    }

    [Fact]
    public void On_SQLite_handing_claimed_deliveries_back_finds_them_by_their_ids()
    {
        var plan = PlanOf(AttemptRecorder.HandBackSql(8, sqlite: true));

        Assert.Contains("(Id=?)", plan);
        Assert.DoesNotContain("State", plan);
        Assert.Contains("IX_Deliveries_State_NextAttemptUtc", PlanOf(AttemptRecorder.HandBackSql(8, sqlite: false)));
    }

    [Fact]
    public void The_claim_binds_every_value_as_a_parameter()
    {
        var sql = AttemptRecorder.ClaimSql(3, sqlite: true);

        Assert.Contains("IN ({2}, {3}, {4})", sql);
        Assert.DoesNotContain("{5}", sql);
        Assert.Equal(sql.Replace("+\"", "\""), AttemptRecorder.ClaimSql(3, sqlite: false));
    }

    private static string PlanOf(string claimSql)
    {
        using var database = new TestDatabase();
        using var db = database.CreateContext();
        var connection = db.Database.GetDbConnection();
        using var command = connection.CreateCommand();
        var names = Enumerable.Range(0, 10).Select(i => (object)("@p" + i)).ToArray();
        command.CommandText = "EXPLAIN QUERY PLAN " + string.Format(System.Globalization.CultureInfo.InvariantCulture, claimSql, names);
        foreach (var name in names)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = (string)name;
            parameter.Value = "2026-01-01 00:00:00";
            command.Parameters.Add(parameter);
        }

        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }
}
