using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// Inserts rows of one entity type through one reused command (prepared once), with EF Core's own table,
/// column and type mappings, value converters included. For the receiver's log entries and the published messages
/// and deliveries: there SaveChanges' change tracking and key read-back cost more than the insert itself.
/// Store-generated keys (integers, database defaults) are left to the database and not read back; keys EF generates on
/// the client (GUIDs) are the row's own.
/// </summary>
public sealed class EntityInsertCommand<T> : IAsyncDisposable
    where T : class
{
    private readonly DbCommand command;
    private readonly (string Name, IClrPropertyGetter Getter, RelationalTypeMapping Mapping, bool Nullable, bool Enum)[] columns;

    public EntityInsertCommand(DbContext db, DbConnection connection, DbTransaction? transaction)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var generators = db.GetService<Microsoft.EntityFrameworkCore.ValueGeneration.IValueGeneratorSelector>();
        var properties = entity.GetProperties()
            .Where(p => !IsStoreGeneratedKey(p, entity, generators) && p.PropertyInfo is not null)
            .ToList();
        columns = properties.Select((p, i) => ("@p" + i, p.GetGetter(), p.GetRelationalTypeMapping(), p.IsNullable, (Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType).IsEnum)).ToArray();

        command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))}) " +
            $"VALUES ({string.Join(", ", columns.Select(c => c.Name))})";
    }

    // A key generated on add is the database's when EF itself only gives it a temporary value until SaveChanges reads
    // the real one back (autoincrement, identity, a database default): those are left out. EF also marks GUID keys
    // "generated on add" but generates them for good on the client (the portal sets them itself, time-ordered): those
    // are inserted. EF's own value-generator choice decides, not the key's type.
    private static bool IsStoreGeneratedKey(IProperty property, IEntityType entity, Microsoft.EntityFrameworkCore.ValueGeneration.IValueGeneratorSelector generators) =>
        property.IsPrimaryKey()
        && property.ValueGenerated.HasFlag(ValueGenerated.OnAdd)
        && generators.TrySelect(property, entity, out var generator)
        && generator is { GeneratesTemporaryValues: true };

    public Task InsertAsync(T row, CancellationToken ct)
    {
        var first = command.Parameters.Count == 0;
        for (var i = 0; i < columns.Length; i++)
        {
            var (name, getter, mapping, nullable, isEnum) = columns[i];
            // EF Core's own compiled getter, not reflection.
            var value = getter.GetClrValueUsingContainingEntity(row);
            if (first || isEnum)
            {
                // The mapping converts and types the value exactly as SaveChanges would (enums included, which it
                // normalises first); the first row's parameters keep the types it sets.
                var parameter = mapping.CreateParameter(command, name, value, nullable);
                if (first)
                {
                    command.Parameters.Add(parameter);
                    continue;
                }

                value = parameter.Value;
            }
            else
            {
                // What CreateParameter does to the value of a property that is not an enum, without building a
                // parameter object for every column of every row (issue 17: they were a tenth of ingest's allocations).
                value = mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value;
            }

            // The same parameter objects with new values: Npgsql binds a prepared command's parameters by
            // instance, and would send the old values if they were replaced (npgsql/npgsql#3850).
            command.Parameters[i].Value = value ?? DBNull.Value;
        }

        return command.ExecuteNonQueryAsync(ct);
    }

    public ValueTask DisposeAsync() => command.DisposeAsync();
}
