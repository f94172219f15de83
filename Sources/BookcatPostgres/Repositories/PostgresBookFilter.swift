import BookcatCore
import PostgresNIO

/// The SQL a ``BookListQuery`` stands for in PostgreSQL: its conditions, their arguments and its order.
///
/// Only fixed SQL text is written in; every value the client sent travels as a bound argument.
struct PostgresBookFilter {
    private(set) var whereClause = ""
    private(set) var bindings = PostgresBindings()
    let orderClause: String

    init(_ query: BookListQuery) {
        var conditions: [String] = []
        for (column, text) in [("title", query.title), ("author", query.author)] {
            guard let text else { continue }
            // Case-insensitive substring (Unicode case folding), served by the trigram GIN index on the same
            // expression for three characters or more.
            bindings.append(LikePattern.containing(text))
            conditions.append("lower(\(column) COLLATE \"und-x-icu\") LIKE lower($\(bindings.count) COLLATE \"und-x-icu\") ESCAPE '\\'")
        }
        if !query.tagIDs.isEmpty {
            bindings.append(query.tagIDs)
            let tags = "$\(bindings.count)"
            conditions.append(
                query.tagMatch == .all
                    ? "id IN (SELECT book_id FROM book_tag WHERE tag_id = ANY(\(tags)) GROUP BY book_id HAVING count(*) = \(query.tagIDs.count))"
                    : "id IN (SELECT book_id FROM book_tag WHERE tag_id = ANY(\(tags)))"
            )
        }
        if !conditions.isEmpty { whereClause = "WHERE " + conditions.joined(separator: " AND ") }
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        let column =
            switch query.ordering.field {
            // ASCII case folding, byte order otherwise: SQLite's NOCASE, served by the `book_on_title` index.
            case .title: "lower(title COLLATE \"C\")"
            case .publishedAt: "published_at"
            case .createdAt: "created_at"
            }
        orderClause = "\(column) \(direction), id \(direction)"
    }

    var isUnfiltered: Bool { whereClause.isEmpty }

    /// How many books match.
    var countQuery: PostgresQuery {
        isUnfiltered
            ? "SELECT book_count FROM catalog_stats WHERE id = 1"
            : PostgresQuery(unsafeSQL: "SELECT count(*) FROM book \(whereClause)", binds: bindings)
    }

    /// One page of the matches in order.
    func pageQuery(limit: Int, offset: Int) -> PostgresQuery {
        var binds = bindings
        binds.append(limit)
        binds.append(offset)
        let sql = """
            SELECT \(PostgresBookRepository.columns) FROM book \(whereClause)
            ORDER BY \(orderClause) LIMIT $\(binds.count - 1) OFFSET $\(binds.count)
            """
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
