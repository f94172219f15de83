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
                standaloneCounts.append(("SELECT COUNT(*) FROM book_search WHERE book_search MATCH ?", phrase))
            } else {
                // Shorter ones have no trigram: scan.
                conditions.append("\(column) LIKE ? ESCAPE '\\'")
                arguments += [Self.containsPattern(text)]
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

    /// The page's rows. When the filter matches a good share of the catalog, walking the ordering index and testing
    /// each row finds a page after a few rows; when it matches few books, SQLite's own plan (collect, then sort)
    /// is the fast one. The count, already known, tells which case this is.
    func pageSQL(matches: Int, total: Int) -> String {
        let broad = !isUnfiltered && matches * 20 >= total
        let source = broad ? "book INDEXED BY \(orderIndex)" : "book"
        return "SELECT * FROM \(source) \(whereClause) ORDER BY \(orderClause) LIMIT ? OFFSET ?"
    }

    /// An FTS5 phrase: the text in double quotes, quotes inside doubled, so no character has query meaning.
    private static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    var isUnfiltered: Bool { whereClause.isEmpty }

    /// `%text%` with LIKE's own wildcards escaped, so `50%` matches the characters "50%" and nothing else.
    private static func containsPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%\(escaped)%"
    }
}
