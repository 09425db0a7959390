using System.Reflection;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebhookPortal.Infrastructure.Database;

/// <summary>
/// An enum stored, filtered and sent as the word its <see cref="JsonStringEnumMemberNameAttribute"/> gives
/// ("pending", "webhook"…): columns, query strings and JSON keep the values they had as string constants.
/// </summary>
public static class StoredEnum<TEnum>
    where TEnum : struct, Enum
{
    private static readonly Dictionary<TEnum, string> Texts = Enum.GetValues<TEnum>().ToDictionary(
        v => v,
        v => typeof(TEnum).GetField(v.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? v.ToString());

    private static readonly Dictionary<string, TEnum> Values = Texts.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static string Text(TEnum value) => Texts.TryGetValue(value, out var text) ? text : throw new ArgumentOutOfRangeException(nameof(value), value, null);

    public static bool TryParse(string? text, out TEnum value) => Values.TryGetValue(text ?? "", out value);

    /// <summary>A stored value; a column holds no other words (the entity configuration writes them).</summary>
    public static TEnum Parse(string text) => TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}.");
}

public static class StoredEnumExtensions
{
    public static string ToText<TEnum>(this TEnum value)
        where TEnum : struct, Enum => StoredEnum<TEnum>.Text(value);

    /// <summary>Stores the enum as its word (see <see cref="StoredEnum{TEnum}"/>), in a column of the given length.</summary>
    public static PropertyBuilder<TEnum> HasStoredText<TEnum>(this PropertyBuilder<TEnum> property, int maxLength)
        where TEnum : struct, Enum =>
        property.HasConversion(v => StoredEnum<TEnum>.Text(v), s => StoredEnum<TEnum>.Parse(s)).HasMaxLength(maxLength);
}
