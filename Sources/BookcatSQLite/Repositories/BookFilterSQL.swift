import BookcatCore
import Foundation
import GRDB

/// The SQL that a ``BookListQuery`` stands for: how to count its matches and how to fetch one page.
///
/// Only fixed SQL text is interpolated; every user-supplied value travels as an argument.
struct BookFilterSQL {
    private(set) var whereClause = ""
    private(set) var arguments = StatementArguments()
    let orderClause: String
    /// The index that yields rows in `orderClause`'s order.
    let orderIndex: String
    /// How to count the matches. With a single indexed filter, straight from the search index or from `book_tag`,
    /// without visiting `book` for each match.
    private(set) var countSQL = ""
    private(set) var countArguments = StatementArguments()
    /// Whether a condition goes through the trigram index, which answers all its matches at once or not at all.
    private(set) var usesSearchIndex = false

    init(_ query: BookListQuery) {
        var conditions: [String] = []
        // For each condition, the count it gives on its own without touching `book`, when there is one.
        var standaloneCounts: [(sql: String, arguments: StatementArguments)?] = []
        for (column, text) in [("title", query.title), ("author", query.author)] {
            guard let text else { continue }
            if text.count >= 3 {
                // The trigram index answers substrings of three or more characters, case-insensitively.
                let phrase: StatementArguments = ["\(column) : \(Self.phrase(text))"]
                conditions.append("id IN (SELECT rowid FROM book_search WHERE book_search MATCH ?)")
                arguments += phrase
                usesSearchIndex = true
                standaloneCounts.append(("SELECT COUNT(*) FROM book_search WHERE book_search MATCH ?", phrase))
            } else {
                // Shorter ones have no trigram: scan.
                conditions.append("\(column) LIKE ? ESCAPE '\\'")
                arguments += [LikePattern.containing(text)]
                standaloneCounts.append(nil)
            }
        }
        if !query.tagIDs.isEmpty {
            let placeholders = databaseQuestionMarks(count: query.tagIDs.count)
            let matching =
                query.tagMatch == .all
                ? "SELECT book_id FROM book_tag WHERE tag_id IN (\(placeholders)) GROUP BY book_id HAVING COUNT(*) = \(query.tagIDs.count)"
                : "SELECT DISTINCT book_id FROM book_tag WHERE tag_id IN (\(placeholders))"
            conditions.append("id IN (\(matching))")
            arguments += StatementArguments(query.tagIDs)
            standaloneCounts.append(("SELECT COUNT(*) FROM (\(matching))", StatementArguments(query.tagIDs)))
        }
        if conditions.isEmpty {
            countSQL = "SELECT book_count FROM catalog_stats WHERE id = 1"
        } else {
            whereClause = "WHERE " + conditions.joined(separator: " AND ")
            if conditions.count == 1, let standalone = standaloneCounts[0] {
                (countSQL, countArguments) = standalone
            } else {
                (countSQL, countArguments) = ("SELECT COUNT(*) FROM book \(whereClause)", arguments)
            }
        }
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        let column =
            switch query.ordering.field {
            case .title: "title"
            case .publishedAt: "published_at"
            case .createdAt: "created_at"
            }
        orderClause = "\(column) \(direction), id \(direction)"
        orderIndex = "book_on_\(column)"
    }

    /// The page's rows by SQLite's own plan: every match collected, then sorted (a bounded sort: only the page is
    /// kept). The right plan when the filter matches few books, and the fallback for ``walkSQL``.
    var collectSQL: String {
        "SELECT * FROM book \(whereClause) ORDER BY \(orderClause) LIMIT ? OFFSET ?"
    }

    /// The first matches in order among the first entries of the ordering index. Arguments: the window (how many
    /// entries to walk), the filter's, then how many matches. When a filter matches a good share of the catalog, a
    /// page is a few index steps away and this skips collecting and sorting every match;
    /// ``walkWindow(matches:total:needed:)`` says when to try it. The window is bound, not written in, so the
    /// statement is prepared once per filter shape rather than once per query.
    var walkSQL: String {
        "SELECT * FROM (SELECT * FROM book INDEXED BY \(orderIndex) ORDER BY \(orderClause) LIMIT ?) \(whereClause) ORDER BY \(orderClause) LIMIT ?"
    }

    /// For search-index filters matching a good share of the catalog (5% or more): walking the whole ordering
    /// index, testing each row against the collected matches, beats sorting them all, unless the matches bunch up
    /// late in the order. Nil when collecting is the better plan.
    func searchWalkSQL(matches: Int, total: Int) -> String? {
        guard usesSearchIndex, matches * 20 >= total else { return nil }
        return "SELECT * FROM book INDEXED BY \(orderIndex) \(whereClause) ORDER BY \(orderClause) LIMIT ? OFFSET ?"
    }

    /// How much of the ordering index to walk for the first `needed` of `matches` matches among `total` books, or
    /// nil when collecting is cheaper. Matches spread evenly over the order turn up every `total / matches` steps;
    /// the window allows four times that, so a filter whose matches bunch up somewhere else in the order
    /// (`title=Golden&order_by=title`: all under G) costs one short walk before the collect, not a walk to G.
    func walkWindow(matches: Int, total: Int, needed: Int) -> Int? {
        guard !isUnfiltered, matches > 0 else { return nil }
        // A search-index condition is tested by collecting every match first, so a short walk saves nothing.
        // Broad ones walk the whole index instead (see `searchWalkSQL`).
        guard !usesSearchIndex else { return nil }
        let expectedSteps = Double(needed) * Double(total) / Double(matches)
        let window = Int(4 * expectedSteps) + 64
        // Past this, a walk costs about what collecting the matches would.
        return window <= min(matches, 20_000) ? window : nil
    }

    /// An FTS5 phrase: the text in double quotes, quotes inside doubled, so no character has query meaning.
    private static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    var isUnfiltered: Bool { whereClause.isEmpty }
}
