using System.Text.Json;
using WebhookPortal.Features.Listeners.Tables;

namespace WebhookPortal.Features.Listeners.Contracts;

/// <summary>
/// A sample and how to turn it into tables. <c>ColumnTypes</c> overrides inferred types, keyed
/// <c>"table.column"</c> (what the Generate Tables dialog's type selects send).
/// </summary>
public sealed record TablesRequest(JsonElement? Sample, string? BaseName, string? RootPath, string[]? PrimaryKey, bool ConfirmDestructive = false, Dictionary<string, ColumnType>? ColumnTypes = null);
