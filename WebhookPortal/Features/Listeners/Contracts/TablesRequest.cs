using System.Text.Json;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// A sample and how to turn it into tables. <c>ColumnTypes</c> overrides inferred types and <c>Columns</c>
/// renames and retypes columns; both are keyed <c>"table.column"</c> with the inferred names (those a preview
/// without overrides lists). <c>PrimaryKey</c> names root columns by their final or their inferred name.
/// </summary>
public sealed record TablesRequest(
    JsonElement? Sample, string? BaseName, string? RootPath, string[]? PrimaryKey, bool ConfirmDestructive = false, Dictionary<string, ColumnType>? ColumnTypes = null,
    Dictionary<string, ColumnOverride>? Columns = null);
