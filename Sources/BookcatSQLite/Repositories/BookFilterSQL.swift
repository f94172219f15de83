import BookcatCore
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
        if let title = query.title {
            conditions.append("title LIKE ? ESCAPE '\\'")
            arguments += [Self.containsPattern(title)]
        }
        if let author = query.author {
            conditions.append("author LIKE ? ESCAPE '\\'")
            arguments += [Self.containsPattern(author)]
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
