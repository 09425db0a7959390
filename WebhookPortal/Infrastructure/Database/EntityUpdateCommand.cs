using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// Updates given columns of rows of one entity type by primary key through one reused command (prepared once), with
/// EF Core's own mappings, value converters included: for the delivery engine's attempt records, where SaveChanges'
/// change tracking and per-batch statement building cost more than the update itself (issue 17). Like SaveChanges, a
/// row that is gone fails the write.
/// </summary>
public sealed class EntityUpdateCommand<T> : IAsyncDisposable
    where T : class
{
    private readonly DbCommand command;
    private readonly IProperty[] properties;

    public EntityUpdateCommand(DbContext db, DbConnection connection, DbTransaction? transaction, IReadOnlyList<string> propertyNames)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var key = entity.FindPrimaryKey()?.Properties is [var single] ? single : throw new InvalidOperationException($"{typeof(T).Name} needs a single-column key.");
        var set = propertyNames.Select(name => entity.FindProperty(name) ?? throw new InvalidOperationException($"{typeof(T).Name} has no property {name}.")).ToArray();
        if (set.Any(p => p.PropertyInfo is null || p.IsPrimaryKey()))
        {
            throw new InvalidOperationException("Only mapped, non-key properties can be updated.");
        }

        properties = [.. set, key];
        command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            $"UPDATE {sql.DelimitIdentifier(table.Name, table.Schema)} SET {string.Join(", ", set.Select((p, i) => $"{sql.DelimitIdentifier(p.GetColumnName(table)!)} = @p{i}"))} " +
            $"WHERE {sql.DelimitIdentifier(key.GetColumnName(table)!)} = @p{set.Length}";
    }

    /// <summary>Writes the row's current values of the columns; throws <see cref="DbUpdateConcurrencyException"/> when no row has its key.</summary>
    public async Task UpdateAsync(T row, CancellationToken ct)
    {
        var first = command.Parameters.Count == 0;
        for (var i = 0; i < properties.Length; i++)
        {
            var property = properties[i];
            var parameter = property.GetRelationalTypeMapping().CreateParameter(command, "@p" + i, property.PropertyInfo!.GetValue(row), property.IsNullable);
            if (first)
            {
                command.Parameters.Add(parameter);
            }
            else
            {
                // Same parameter objects, new values (Npgsql binds a prepared command's parameters by instance).
                command.Parameters[i].Value = parameter.Value;
            }
        }

        if (await command.ExecuteNonQueryAsync(ct) != 1)
        {
            throw new DbUpdateConcurrencyException($"The {typeof(T).Name} to update is no longer in the database.");
        }
    }

    public ValueTask DisposeAsync() => command.DisposeAsync();
}
