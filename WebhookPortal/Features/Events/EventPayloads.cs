using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookPortal.Data;
using WebhookPortal.Features.Listeners.Tables;
using WebhookPortal.Infrastructure.Errors;
using WebhookPortal.Infrastructure.Scripting;

namespace WebhookPortal.Features.Events;

/// <summary>Builds event payloads with an event type's script and finds sample records to build them from.</summary>
public sealed class EventPayloads(ScriptSandbox scripts)
{
    /// <summary>The payload of a record change: the record itself, or what the type's script builds (null = the script declined).</summary>
    public string? Build(EventType type, string record, string action) => Build(type.Script, record, action);

    public string? Build(string? script, string record, string action)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            return record;
        }

        try
        {
            return scripts.Run(script, record, JsonSerializer.Serialize(action));
        }
        catch (ScriptException ex)
        {
            throw new UnprocessableException(ex.Line is { } line ? $"Line {line}: {ex.Message}" : ex.Message);
        }
    }

    /// <summary>The latest stored records of the type's listener (newest first), or records from its sample.</summary>
    public static async Task<List<string>> SamplesAsync(PortalDbContext db, EventType type, int count, CancellationToken ct)
    {
        var listener = await db.Listeners.AsNoTracking().FirstOrDefaultAsync(l => l.Id == type.ListenerId, ct);
        var schema = listener?.GetSchema();
        if (listener is null || schema is null)
        {
            return [];
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var store = new RecordReader(db.Database.GetDbConnection(), null, SqlDialect.For(db.Database.IsSqlite()), listener.Id, schema);
            var latest = await store.LatestAsync(count, ct);
            if (latest.Count > 0)
            {
                return latest.Select(r => r.ToJsonString()).ToList();
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        if (listener.SampleJson is null)
        {
            return [];
        }

        using var sample = JsonDocument.Parse(listener.SampleJson);
        return SchemaInference.RecordsAt(sample.RootElement, schema.RootPath, "sample").Take(count).Select(r => r.GetRawText()).ToList();
    }
}
