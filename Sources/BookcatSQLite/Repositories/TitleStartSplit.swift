import BookcatCore
import Foundation
import GRDB

/// A title filter under the title order, split in two: the matches that start with the text, which are one range
/// of the title index, already in order; and the rest, from the search index (`"text" NOT ^"text"`), few when people
/// search the way titles start. Neither half reads a book that is not on the page, where collecting every match
/// to sort it looks each one up (`title=Golden&order_by=title` at a million books: 50,288 lookups, 95 ms; split, the
/// range counts in 1 ms and the rest is empty).
///
/// The two halves are exactly the matches only when the title index's NOCASE folding and the search index's
/// folding agree on the text (`SearchIndexFolding`); the split is nil otherwise.
struct TitleStartSplit {
    /// The matches that do not start with the text. Arguments: how many at most.
    let restSQL = "SELECT rowid FROM book_search WHERE book_search MATCH ? LIMIT ?"
    let restPhrase: String
    /// How many titles start with the text: a range of the title index, from the text to the text with its last
    /// character one higher.
    let startingCountSQL = "SELECT COUNT(*) FROM book INDEXED BY book_on_title WHERE title >= ? AND title < ?"
    let range: (from: String, upTo: String)
    /// The page among both halves: the range's first `needed` titles in order, merged with the rest by SQLite's
    /// own NOCASE order. Arguments: the range, how many of it, the rest's ids (JSON), then limit and offset.
    let pageSQL: String

    init?(_ query: BookListQuery) {
        guard let text = query.title, query.filterKinds == [.title], query.ordering.field == .title,
            text.unicodeScalars.count >= 3,
            SearchIndexFolding.agreesWithLike(text),
            let last = text.unicodeScalars.last, let next = Unicode.Scalar(last.value + 1)
        else { return nil }
        let quoted = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        restPhrase = "title : (\(quoted) NOT ^\(quoted))"
        range = (text, String(text.unicodeScalars.dropLast()) + String(next))
        let order = query.ordering.isDescending ? "title DESC, id DESC" : "title ASC, id ASC"
        pageSQL = """
            SELECT id FROM (
              SELECT * FROM (SELECT id, title FROM book INDEXED BY book_on_title WHERE title >= ? AND title < ? ORDER BY \(order) LIMIT ?)
              UNION ALL SELECT id, title FROM book WHERE id IN (SELECT value FROM json_each(?))
            ) ORDER BY \(order) LIMIT ? OFFSET ?
            """
    }
}
