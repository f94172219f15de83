import BookcatCore
import Foundation
import GRDB

/// The SQL that a ``BookListQuery`` stands for: how to count its matches, and the statements a page can come from.
/// `SQLiteBookRepository.page` picks among them by the count (see `docs/benchmark/profile.md` for each plan's cost).
///
/// Only fixed SQL text is interpolated; every user-supplied value travels as an argument.
struct BookFilterSQL {
    /// The conditions as whole sets (`id IN (…)`, `LIKE`): what collecting and sorting every match runs.
    private(set) var whereClause = ""
    private(set) var arguments = StatementArguments()
    /// The same conditions tested one row at a time, each for the price of a comparison or an index probe: what a
    /// walk along an ordering index runs. Nil when one of them has no such test (a search text beyond ASCII, whose
    /// case the trigram index folds further than `LIKE` does).
    private(set) var rowTest: String?
    private(set) var rowTestArguments = StatementArguments()
    /// Whether `rowTest` reads only columns of the ordering index (a title filter under a title order), so a walk
    /// along it never visits the table.
    private(set) var rowTestIsCovered = false
    /// How to count the matches. A single condition counts from its own index or kept count, without visiting `book`.
    private(set) var countSQL = ""
    private(set) var countArguments = StatementArguments()
    /// For `tag_option=and` alone: the tags whose books to intersect. The matching ids are few when tags are
    /// selective, so counting them and sorting their rows is one pass over the tags' index instead of two.
    private(set) var tagsToIntersect: [Int64]?
    /// For a title filter under the title order: the page without collecting every match, when it can be split.
    let titleStart: TitleStartSplit?
    let orderClause: String
    /// The index that yields rows in `orderClause`'s order.
    let orderIndex: String

    init(_ query: BookListQuery) {
        titleStart = TitleStartSplit(query)
        var conditions: [Condition] = []
        for filter in query.filters {
            switch filter {
            case .title(let text): conditions.append(Self.substring(text, of: "title"))
            case .author(let text): conditions.append(Self.substring(text, of: "author"))
            case .tags(let ids, let match):
                // Alone, their matching ids are a plan of their own.
                if match == .all, query.filters.count == 1 { tagsToIntersect = ids }
                conditions.append(Self.tags(ids, all: match == .all))
            }
        }
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        let column = query.ordering.field.bookColumn
        orderClause = "\(column) \(direction), id \(direction)"
        orderIndex = "book_on_\(column)"

        guard !conditions.isEmpty else {
            countSQL = "SELECT book_count FROM catalog_stats WHERE id = 1"
            return
        }
        whereClause = "WHERE " + conditions.map(\.set).joined(separator: " AND ")
        arguments = conditions.reduce(into: StatementArguments()) { $0 += $1.setArguments }
        if conditions.allSatisfy({ $0.row != nil }) {
            rowTest = conditions.compactMap(\.row).joined(separator: " AND ")
            rowTestArguments = conditions.reduce(into: StatementArguments()) { $0 += $1.rowArguments }
            rowTestIsCovered = conditions.allSatisfy { $0.rowColumns.isSubset(of: [column, "id"]) }
        }
        if conditions.count == 1 {
            (countSQL, countArguments) = (conditions[0].count, conditions[0].countArguments)
        } else {
            (countSQL, countArguments) = ("SELECT COUNT(*) FROM book \(whereClause)", arguments)
        }
    }

    var isUnfiltered: Bool { whereClause.isEmpty }

    // MARK: - Plans

    /// The page's ids straight from the ordering index, for the unfiltered listing: the index holds the id, so
    /// skipping to a deep page steps over index entries without reading a single book.
    var indexPageSQL: String {
        "SELECT id FROM book INDEXED BY \(orderIndex) ORDER BY \(orderClause) LIMIT ? OFFSET ?"
    }

    /// The same page read from the order's other end (``FarEndPage``): its ids come in reverse.
    var farEndPageSQL: String {
        "SELECT id FROM book INDEXED BY \(orderIndex) ORDER BY \(FarEndPage.reversed(orderClause)) LIMIT ? OFFSET ?"
    }

    /// Every match collected, then sorted (a bounded sort: only the page is kept). Right when the filter matches
    /// few books, and the fallback for every other plan. Arguments: the filter's, then limit and offset.
    var collectSQL: String {
        "SELECT * FROM book \(whereClause) ORDER BY \(orderClause) LIMIT ? OFFSET ?"
    }

    /// The first `needed` matches in order among the first `window` entries of the ordering index, by id, each
    /// tested by `rowTest`. Arguments: the window, the row test's, then how many matches. When a filter matches a
    /// good share of the catalog, a page is a few index steps away; `OrderWalk.window` says how far. The window is
    /// bound, not written in, so the statement is prepared once per filter shape.
    var walkSQL: String? {
        guard let rowTest else { return nil }
        return
            "SELECT id FROM (SELECT * FROM book INDEXED BY \(orderIndex) ORDER BY \(orderClause) LIMIT ?) AS book WHERE \(rowTest) ORDER BY \(orderClause) LIMIT ?"
    }

    /// The page's ids by walking the whole ordering index, for a row test it covers: about 0.1 µs an entry, so at
    /// worst a pass over the index, where collecting many matches costs a lookup of each book (about 2 µs a match).
    /// Arguments: the row test's, then limit and offset.
    var coveredWalkSQL: String? {
        guard let rowTest, rowTestIsCovered else { return nil }
        return "SELECT id FROM book INDEXED BY \(orderIndex) WHERE \(rowTest) ORDER BY \(orderClause) LIMIT ? OFFSET ?"
    }

    // MARK: - Conditions

    /// One condition, in each form the plans need.
    private struct Condition {
        var set: String
        var setArguments: StatementArguments
        var row: String?
        var rowArguments = StatementArguments()
        /// The `book` columns `row` reads.
        var rowColumns: Set<String> = []
        var count: String
        var countArguments: StatementArguments
    }

    /// A case-insensitive substring of `column`.
    private static func substring(_ text: String, of column: String) -> Condition {
        let like = "\(column) LIKE ? ESCAPE '\\'"
        let pattern = LikePattern.containing(text)
        guard text.unicodeScalars.count >= 3 else {
            // No trigram in it: the set is a LIKE over every book; the count is kept per substring, under the
            // ASCII-lowercased text a BookListQuery always holds.
            return Condition(
                set: like,
                setArguments: [pattern],
                row: like,
                rowArguments: [pattern],
                rowColumns: [column],
                count: ShortSubstringCounts.countSQL,
                countArguments: [column, text]
            )
        }
        // The trigram index answers substrings of three or more characters, folding case across Unicode.
        let phrase = "\(column) : \(Self.phrase(text))"
        let matches = "id IN (SELECT rowid FROM book_search WHERE book_search MATCH ?)"
        var condition = Condition(
            set: matches,
            setArguments: [phrase],
            count: "SELECT COUNT(*) FROM book_search WHERE book_search MATCH ?",
            countArguments: [phrase]
        )
        if SearchIndexFolding.agreesWithLike(text) {
            // Row by row, LIKE finds what the index finds.
            condition.row = like
            condition.rowArguments = [pattern]
            condition.rowColumns = [column]
        } else if text.unicodeScalars.allSatisfy(\.isASCII) {
            // With a k or an s, a text with other characters (more bytes than characters) may match where LIKE
            // does not; those ask the index itself, whose matches are collected once, the first time a row needs
            // them. Comparing lengths costs a sixth of what a GLOB for such a character does.
            condition.row = "(\(like) OR (length(\(column)) != length(CAST(\(column) AS BLOB)) AND \(matches)))"
            condition.rowArguments = [pattern, phrase]
            condition.rowColumns = [column, "id"]
        }
        return condition
    }

    /// Tag ids, any of them or all of them.
    private static func tags(_ ids: [Int64], all: Bool) -> Condition {
        let placeholders = databaseQuestionMarks(count: ids.count)
        let each = ids.map { _ in "SELECT book_id FROM book_tag WHERE tag_id = ?" }
        let matching = each.joined(separator: all ? " INTERSECT " : " UNION ")
        // A book's own tags through the primary key (book_id, tag_id): a probe or two per row.
        let taggedRow =
            all
            ? "(SELECT COUNT(*) FROM book_tag WHERE book_id = book.id AND tag_id IN (\(placeholders))) = \(ids.count)"
            : "EXISTS (SELECT 1 FROM book_tag WHERE book_id = book.id AND tag_id IN (\(placeholders)))"
        let condition = Condition(
            set: "id IN (\(matching))",
            setArguments: StatementArguments(ids),
            row: taggedRow,
            rowArguments: StatementArguments(ids),
            rowColumns: ["id"],
            count: "SELECT COUNT(*) FROM (\(matching))",
            countArguments: StatementArguments(ids)
        )
        return condition
    }

    /// An FTS5 phrase: the text in double quotes, quotes inside doubled, so no character has query meaning.
    private static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
