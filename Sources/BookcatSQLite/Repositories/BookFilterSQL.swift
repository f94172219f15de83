import BookcatCore
import Foundation
import GRDB

/// The SQL `WHERE` and `ORDER BY` that a ``BookListQuery`` stands for, with its arguments.
///
/// Only fixed SQL text is interpolated; every user-supplied value travels as an argument.
struct BookFilterSQL {
    private(set) var whereClause = ""
    private(set) var arguments = StatementArguments()
    let orderClause: String

    init(_ query: BookListQuery) {
        var conditions: [String] = []
        for (column, text) in [("title", query.title), ("author", query.author)] {
            guard let text else { continue }
            if text.count >= 3 {
                // The trigram index answers substrings of three or more characters, case-insensitively.
                conditions.append("id IN (SELECT rowid FROM book_search WHERE book_search MATCH ?)")
                arguments += ["\(column) : \(Self.phrase(text))"]
            } else {
                // Shorter ones have no trigram: scan.
                conditions.append("\(column) LIKE ? ESCAPE '\\'")
                arguments += [Self.containsPattern(text)]
            }
        }
        if !query.tagIDs.isEmpty {
            let placeholders = databaseQuestionMarks(count: query.tagIDs.count)
            if query.tagMatch == .all {
                conditions.append(
                    "id IN (SELECT book_id FROM book_tag WHERE tag_id IN (\(placeholders)) GROUP BY book_id HAVING COUNT(*) = \(query.tagIDs.count))"
                )
            } else {
                conditions.append("id IN (SELECT book_id FROM book_tag WHERE tag_id IN (\(placeholders)))")
            }
            arguments += StatementArguments(query.tagIDs)
        }
        if !conditions.isEmpty {
            whereClause = "WHERE " + conditions.joined(separator: " AND ")
        }
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        let column =
            switch query.ordering.field {
            case .title: "title"
            case .publishedAt: "published_at"
            case .createdAt: "created_at"
            }
        orderClause = "\(column) \(direction), id \(direction)"
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
