import BookcatCore
import PostgresNIO

/// The SQL a ``BookListQuery`` stands for in PostgreSQL: how to count its matches, and the statements a page can
/// come from. `PostgresBookRepository.page` picks among them by the count, as the SQLite store does.
///
/// Only fixed SQL text is written in; every value the client sent travels as a bound argument.
struct PostgresBookFilter {
    private let conditions: [Condition]
    let orderClause: String
    /// `orderClause` with its columns named as `book.`'s, for statements that join other tables.
    let qualifiedOrderClause: String
    /// For `tag_option=and` alone: the matching ids, few when tags are selective, so counting them and sorting
    /// their rows is one pass over the tags' index instead of two.
    private let matchingIDs: Condition?

    init(_ query: BookListQuery) {
        var conditions: [Condition] = []
        for filter in query.filters {
            switch filter {
            case .title(let text): conditions.append(Self.substring(text, of: "title"))
            case .author(let text): conditions.append(Self.substring(text, of: "author"))
            case .tags(let ids, let match): conditions.append(Self.tags(ids, all: match == .all))
            }
        }
        self.conditions = conditions
        matchingIDs = query.tagMatch == .all && conditions.count == 1 ? conditions[0] : nil
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        // ASCII case folding, byte order otherwise: SQLite's NOCASE, served by the `book_on_title` index.
        func column(of table: String) -> String {
            switch query.ordering.field {
            case .title: "lower(\(table)title COLLATE \"C\")"
            case .publishedAt, .createdAt: table + query.ordering.field.bookColumn
            }
        }
        orderClause = "\(column(of: "")) \(direction), id \(direction)"
        qualifiedOrderClause = "\(column(of: "book.")) \(direction), book.id \(direction)"
    }

    /// Every condition has a test of one row, so any filtered page can be found by walking an ordering index.
    var isUnfiltered: Bool { conditions.isEmpty }

    /// How many books match: from the kept total, or one condition's own index or kept count, or all of them
    /// together over `book`.
    var countQuery: PostgresQuery {
        var bindings = PostgresBindings()
        let sql: String
        if conditions.isEmpty {
            sql = "SELECT book_count FROM catalog_stats WHERE id = 1"
        } else if conditions.count == 1 {
            sql = conditions[0].count(&bindings)
        } else {
            sql = "SELECT count(*) FROM book WHERE \(sets(&bindings))"
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// The matching ids, up to `limit`, for a filter whose matches are cheaper to list than to count twice.
    func matchingIDsQuery(limit: Int) -> PostgresQuery? {
        guard let matchingIDs, let ids = matchingIDs.ids else { return nil }
        var bindings = PostgresBindings()
        let sql = ids(&bindings)
        bindings.append(limit)
        return PostgresQuery(unsafeSQL: "\(sql) LIMIT $\(bindings.count)", binds: bindings)
    }

    /// The page's ids straight from the ordering index, for the unfiltered listing: an index-only scan steps over
    /// deep pages without reading a book.
    func indexPageQuery(limit: Int, offset: Int) -> PostgresQuery {
        Self.indexPageQuery(orderClause: orderClause, limit: limit, offset: offset)
    }

    /// An unfiltered page with the book count on every row and each book's tags (ids and names, by id), in the
    /// page's order; one row holding only the count when the page is past the end. Columns: count, then
    /// ``PostgresBookRepository/columns``, then tag ids and tag names.
    func nearPageWithTagsQuery(limit: Int, offset: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(limit)
        bindings.append(offset)
        return PostgresQuery(
            unsafeSQL: """
                WITH page AS MATERIALIZED (SELECT id FROM book ORDER BY \(orderClause) LIMIT $1 OFFSET $2)
                SELECT stats.book_count, \(PostgresBookRepository.qualifiedColumns), tags.ids, tags.names
                FROM catalog_stats AS stats
                LEFT JOIN (page JOIN book ON book.id = page.id) ON true
                LEFT JOIN LATERAL (
                  SELECT array_agg(tag.id ORDER BY tag.id) AS ids, array_agg(tag.name ORDER BY tag.id) AS names
                  FROM book_tag JOIN tag ON tag.id = book_tag.tag_id WHERE book_tag.book_id = book.id
                ) AS tags ON true
                WHERE stats.id = 1
                ORDER BY \(qualifiedOrderClause)
                """,
            binds: bindings
        )
    }

    /// The same page read from the order's other end (``FarEndPage``): its ids come in reverse.
    func farEndPageQuery(_ page: FarEndPage) -> PostgresQuery {
        Self.indexPageQuery(orderClause: FarEndPage.reversed(orderClause), limit: page.limit, offset: page.offset)
    }

    private static func indexPageQuery(orderClause: String, limit: Int, offset: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(limit)
        bindings.append(offset)
        return PostgresQuery(unsafeSQL: "SELECT id FROM book ORDER BY \(orderClause) LIMIT $1 OFFSET $2", binds: bindings)
    }

    /// The first `needed` matches' ids in order among the first `window` books of the order, each tested on its
    /// own row (see `OrderWalk.window`).
    func walkQuery(window: Int, needed: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(window)
        let tests = conditions.map { $0.row(&bindings) }.joined(separator: " AND ")
        bindings.append(needed)
        let sql = """
            SELECT id FROM (SELECT * FROM book ORDER BY \(orderClause) LIMIT $1) AS book
            WHERE \(tests) ORDER BY \(orderClause) LIMIT $\(bindings.count)
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Every match collected, then sorted: one page of them.
    func collectQuery(limit: Int, offset: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        let filter = conditions.isEmpty ? "" : "WHERE \(sets(&bindings))"
        bindings.append(limit)
        bindings.append(offset)
        let sql = """
            SELECT \(PostgresBookRepository.columns) FROM book \(filter)
            ORDER BY \(orderClause) LIMIT $\(bindings.count - 1) OFFSET $\(bindings.count)
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// One page of books whose ids are known, sorted.
    func pageQuery(ofIDs ids: [Int64], limit: Int, offset: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(ids)
        bindings.append(limit)
        bindings.append(offset)
        let sql = """
            SELECT \(PostgresBookRepository.columns) FROM book WHERE id = ANY($1)
            ORDER BY \(orderClause) LIMIT $2 OFFSET $3
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    private func sets(_ bindings: inout PostgresBindings) -> String {
        conditions.map { $0.set(&bindings) }.joined(separator: " AND ")
    }

    // MARK: - Conditions

    /// One condition, in each form the plans need; each appends its arguments and names them by position.
    private struct Condition {
        /// The matching books as a set, tested on `id`.
        var set: (inout PostgresBindings) -> String
        /// A test of one row of `book`.
        var row: (inout PostgresBindings) -> String
        /// A query counting the matches on its own.
        var count: (inout PostgresBindings) -> String
        /// A query listing the matching ids, when that is how it counts best.
        var ids: ((inout PostgresBindings) -> String)?
    }

    /// A case-insensitive substring of `column` (Unicode case folding, as the definition `lower(column COLLATE
    /// "und-x-icu") LIKE lower(pattern COLLATE "und-x-icu")` says). Sets and counts read `book_search`, where the
    /// folded text is kept; one- and two-character texts count from `book_substring_count` and the log of texts not yet
    /// folded into it (`book_substring_delta`, migration 0011).
    private static func substring(_ text: String, of column: String) -> Condition {
        let pattern = LikePattern.containing(text)
        func folded(_ bindings: inout PostgresBindings, _ value: String) -> String {
            bindings.append(value)
            return "(lower($\(bindings.count) COLLATE \"und-x-icu\") COLLATE \"C\")"
        }
        func searched(_ bindings: inout PostgresBindings) -> String {
            "SELECT id FROM book_search WHERE \(column) LIKE \(folded(&bindings, pattern)) ESCAPE '\\'"
        }
        return Condition(
            set: { bindings in "id IN (\(searched(&bindings)))" },
            row: { bindings in
                bindings.append(pattern)
                return "lower(book.\(column) COLLATE \"und-x-icu\") LIKE lower($\(bindings.count) COLLATE \"und-x-icu\") ESCAPE '\\'"
            },
            count: { bindings in
                // Short once folded: the kept count. Folding can lengthen a text (İ is i and a dot), so the check is
                // on the folded text, in the same statement.
                let short = folded(&bindings, text)
                return """
                    SELECT CASE WHEN length(\(short)) <= 2
                      THEN COALESCE((SELECT books FROM book_substring_count WHERE field = '\(column)' AND substring = \(short)), 0)
                        + COALESCE((SELECT sum(sign) FROM book_substring_delta WHERE field = '\(column)' AND strpos(text, \(short)) > 0), 0)
                      ELSE (SELECT count(*) FROM (\(searched(&bindings))) AS matches) END
                    """
            }
        )
    }

    /// Tag ids, any of them or all of them.
    private static func tags(_ ids: [Int64], all: Bool) -> Condition {
        func tagged(_ bindings: inout PostgresBindings) -> String {
            bindings.append(ids)
            return "tag_id = ANY($\(bindings.count))"
        }
        func matching(_ bindings: inout PostgresBindings) -> String {
            guard all else { return "SELECT book_id FROM book_tag WHERE \(tagged(&bindings))" }
            // Each tag's books come sorted by id from (tag_id, book_id): a merge join of index-only scans (tag=3
            // and tag=7 at a million books: 5 ms; grouping their 78,000 rows took 33).
            var sql = ""
            for (index, id) in ids.enumerated() {
                bindings.append(id)
                sql +=
                    index == 0
                    ? "SELECT t0.book_id FROM book_tag t0"
                    : " JOIN book_tag t\(index) ON t\(index).book_id = t0.book_id AND t\(index).tag_id = $\(bindings.count)"
            }
            return sql + " WHERE t0.tag_id = $\(bindings.count - ids.count + 1)"
        }
        return Condition(
            set: { bindings in "id IN (\(matching(&bindings)))" },
            // A book's own tags through the primary key (book_id, tag_id): a probe or two per row.
            row: { bindings in
                all
                    ? "(SELECT count(*) FROM book_tag WHERE book_id = book.id AND \(tagged(&bindings))) = \(ids.count)"
                    : "EXISTS (SELECT 1 FROM book_tag WHERE book_id = book.id AND \(tagged(&bindings)))"
            },
            count: { bindings in
                all
                    ? "SELECT count(*) FROM (\(matching(&bindings))) AS matches"
                    : "SELECT count(DISTINCT book_id) FROM book_tag WHERE \(tagged(&bindings))"
            },
            ids: all ? { bindings in matching(&bindings) } : nil
        )
    }
}
