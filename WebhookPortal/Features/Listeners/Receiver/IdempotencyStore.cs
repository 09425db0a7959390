using System.Data.Common;
using System.Security.Cryptography;
using System.Text;

namespace WebhookPortal.Features.Listeners.Receiver;

/// <summary>Claims a sender's delivery id (<see cref="IdempotencyKey"/>) inside the receiver's transaction.</summary>
public static class IdempotencyStore
{
    public static byte[] Hash(Guid listenerId, string value)
    {
        var bytes = new byte[16 + Encoding.UTF8.GetByteCount(value)];
        listenerId.TryWriteBytes(bytes);
        Encoding.UTF8.GetBytes(value, bytes.AsSpan(16));
        return SHA256.HashData(bytes);
    }

    /// <summary>
    /// Null when the id is new (or its window ended) and is now claimed; otherwise the status the original was answered
    /// with. One upsert on both databases: it only replaces a row whose window has ended.
    /// </summary>
    public static async Task<int?> ClaimAsync(WriteContext context, byte[] hash, DateTimeOffset now, TimeSpan window, CancellationToken ct)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var claim = context.Connection.CreateCommand();
        claim.Transaction = context.Transaction;
        claim.CommandText = """
            INSERT INTO "IdempotencyKeys" ("KeyHash", "ExpiresAtMs", "Status") VALUES (@hash, @expires, 200)
            ON CONFLICT ("KeyHash") DO UPDATE SET "ExpiresAtMs" = excluded."ExpiresAtMs", "Status" = excluded."Status"
            WHERE "IdempotencyKeys"."ExpiresAtMs" <= @now
            RETURNING 1
            """;
        Add(claim, "@hash", hash);
        Add(claim, "@expires", nowMs + (long)window.TotalMilliseconds);
        Add(claim, "@now", nowMs);
        if (await claim.ExecuteScalarAsync(ct) is not null)
        {
            return null;
        }

        await using var read = context.Connection.CreateCommand();
        read.Transaction = context.Transaction;
        read.CommandText = """SELECT "Status" FROM "IdempotencyKeys" WHERE "KeyHash" = @hash""";
        Add(read, "@hash", hash);
        return Convert.ToInt32(await read.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
