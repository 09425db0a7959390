using System.Text;

namespace WebhookPortal.Features.Logs;

/// <summary>
/// The free-text search of the log (<c>q</c>), over each entry's name, path, event type, error, request body and
/// response body, through a full-text index (SQLite FTS5, PostgreSQL tsvector + GIN) instead of <c>LIKE '%q%'</c>,
/// which read every body of the log on every search.
/// <para>
/// What matches: the query's words (runs of letters and digits; everything else separates them, so
/// <c>order.cancelled</c>, <c>order-123</c> and <c>needle-in-body</c> are phrases of two or three words) in that order,
/// side by side, as whole words, ignoring case. The last word also matches as the start of a longer word — so that
/// typing <c>Stockh</c> or <c>ord</c> finds Stockholm or order-123 — when the query ends with <c>*</c>, or when the
/// words as typed match nothing in the whole log (a word still being typed). A whole word is read from the index
/// page by page, newest first, whatever its frequency; a prefix gathers every word it starts first (about 0.1 s per
/// million occurrences), so a word that is already complete is not widened. Quotes around the query
/// (<c>"order 12"</c>) ask for whole words only. One-letter prefixes are not widened (every number starts with a digit).
/// This is word search, not substring search: <c>der-12</c> does not find <c>order-123</c>.
/// </para>
/// </summary>
public sealed record LogSearchText(IReadOnlyList<string> Words, bool ExplicitPrefix, bool WholeWordsOnly)
{
    public const int MaxLength = 200;
    public const int MaxWords = 16;

    /// <summary>The text columns searched (SQLite FTS5 columns; PostgreSQL concatenates them in its search vector).</summary>
    public static readonly string[] Columns = ["Name", "Path", "EventType", "Error", "RequestBody", "ResponseBody"];

    /// <summary>Null when the query has no letter or digit.</summary>
    public static LogSearchText? Parse(string q)
    {
        var text = q.Trim();
        var quoted = text.Length >= 2 && text[0] == '"' && text[^1] == '"';
        var star = !quoted && text.EndsWith('*');
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsWordRune(rune))
            {
                word.Append(rune.ToString());
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }

        return words.Count == 0 ? null : new LogSearchText(words.Take(MaxWords).ToList(), star, quoted);
    }

    /// <summary>The characters SQLite's unicode61 tokenizer keeps in tokens: letters, numbers and private-use characters.</summary>
    private static bool IsWordRune(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        System.Globalization.UnicodeCategory.UppercaseLetter or System.Globalization.UnicodeCategory.LowercaseLetter or System.Globalization.UnicodeCategory.TitlecaseLetter
            or System.Globalization.UnicodeCategory.ModifierLetter or System.Globalization.UnicodeCategory.OtherLetter or System.Globalization.UnicodeCategory.DecimalDigitNumber
            or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.OtherNumber or System.Globalization.UnicodeCategory.PrivateUse => true,
        _ => false,
    };

    /// <summary>Whether the last word may be widened to a prefix at all.</summary>
    public bool MayWiden => !WholeWordsOnly && Words[^1].EnumerateRunes().Count() >= 2;

    /// <summary>
    /// An FTS5 query: the phrase over the text columns (a prefix phrase when <paramref name="prefix"/>), and each of
    /// <paramref name="tags"/> in the Tags column (see <see cref="Tag"/>). Words hold letters and digits only, so
    /// quoting them needs no escaping.
    /// </summary>
    public string Fts5(bool prefix, IEnumerable<string> tags)
    {
        var query = new StringBuilder("{").Append(string.Join(' ', Columns)).Append("}: \"").Append(string.Join(' ', Words)).Append('"');
        if (prefix)
        {
            query.Append('*');
        }

        foreach (var tag in tags)
        {
            query.Append(" AND {Tags}: \"").Append(tag).Append('"');
        }

        return query.ToString();
    }

    /// <summary>A PostgreSQL tsquery for to_tsquery('simple', …): the words side by side (&lt;-&gt;), the last one as a prefix when asked.</summary>
    public string TsQuery(bool prefix) => string.Join(" <-> ", Words) + (prefix ? ":*" : "");

    /// <summary>
    /// The tokens the SQLite search triggers put in the Tags column for the filters the log page offers, so that a
    /// text search within a name, a state or a direction is one intersection inside the full-text index instead of a
    /// look-up of every entry the words match. hex() keeps a whole name one token, whatever characters it has.
    /// </summary>
    public static string Tag(char kind, string value) => kind == 'n' ? "n" + Convert.ToHexString(Encoding.UTF8.GetBytes(value)) : kind + value;
}
