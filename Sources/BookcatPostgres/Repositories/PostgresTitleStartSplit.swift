import BookcatCore
import PostgresNIO

/// A title filter under the title order, split in two as the SQLite store splits it (see its `TitleStartSplit`):
/// the matches that start with the text are one range of `book_on_title`, already in order; the rest come from
/// `book_search`, few when people search the way titles start. `title=Golden&order_by=title` at a million books
/// collected and sorted 50,288 matches in 1.9 s; split, one pass over the narrow matches counts both halves, and
/// the page reads the range's first titles and the rest's few rows.
///
/// The halves are exactly the matches only when `lower(… COLLATE "C")`, which orders titles, and ICU's `lower`,
/// which matches them, agree on the text's characters: ASCII without i or k, the only letters any other character
/// lowers into under ICU (İ into i and a dot above, the Kelvin sign into k; found by lowering every code point).
struct PostgresTitleStartSplit {
    private let text: String
    private let upTo: String
    private let descending: Bool

    init?(_ query: BookListQuery) {
        guard let text = query.title, query.filterKinds == [.title], query.ordering.field == .title,
            text.unicodeScalars.count >= 3,
            text.unicodeScalars.allSatisfy({ $0.isASCII && $0 != "i" && $0 != "k" }),
            let last = text.unicodeScalars.last, let next = Unicode.Scalar(last.value + 1)
        else { return nil }
        self.text = text
        upTo = String(text.unicodeScalars.dropLast()) + String(next)
        descending = query.ordering.isDescending
    }

    /// Both halves in one pass over the matches: how many start with the text, how many do not, and the ids of
    /// up to `limit` of those that do not.
    func halvesQuery(limit: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(LikePattern.containing(text))
        bindings.append(LikePattern.starting(with: text))
        bindings.append(limit)
        let sql = """
            SELECT count(*) FILTER (WHERE title LIKE $2 ESCAPE '\\'), count(*) FILTER (WHERE title NOT LIKE $2 ESCAPE '\\'),
              coalesce((array_agg(id) FILTER (WHERE title NOT LIKE $2 ESCAPE '\\'))[1:$3], '{}')
            FROM book_search WHERE title LIKE $1 ESCAPE '\\'
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// The page's ids among both halves: the range's first `offset + limit` titles in order, merged with the rest.
    func pageQuery(rest: [Int64], limit: Int, offset: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(text)
        bindings.append(upTo)
        bindings.append(offset + limit)
        bindings.append(rest)
        bindings.append(limit)
        bindings.append(offset)
        let order = descending ? "key DESC, id DESC" : "key ASC, id ASC"
        let sql = """
            SELECT id FROM (
              (SELECT id, lower(title COLLATE "C") AS key FROM book
               WHERE lower(title COLLATE "C") >= $1 AND lower(title COLLATE "C") < $2 ORDER BY \(order) LIMIT $3)
              UNION ALL (SELECT id, lower(title COLLATE "C") FROM book WHERE id = ANY($4))
            ) AS halves ORDER BY \(order) LIMIT $5 OFFSET $6
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
