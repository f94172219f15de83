import BookcatCore
import GRDB

/// How many books contain each one- and two-character substring of their title and of their author: the exact
/// `count` of a one- or two-character filter, which the trigram index cannot answer (a trigram needs three).
///
/// Without it, `title=zq` scanned every title to count nothing (0.5 s at a million books). Kept by triggers in the
/// writing transaction, so every writer (the API, imports, copies) keeps it exact; the seeder, which lifts the
/// triggers for speed, adds its books' substrings with a `ShortSubstringTally`. Case folds as SQLite's `lower()` and `LIKE` do
/// (ASCII letters only), so the count and the `LIKE` that finds the page's rows agree on every book.
enum ShortSubstringCounts {
    /// The longest title or author the triggers can take apart: they number characters from `substring_position`.
    /// The API stores at most 255 characters; longer text from elsewhere is refused rather than miscounted.
    static let longestText = 4096

    /// The count of books whose `field` contains `text` (one or two characters, ASCII-lowercased).
    static let countSQL = "SELECT COALESCE((SELECT books FROM book_substring_count WHERE field = ? AND substring = ?), 0)"

    /// The table, its position numbers and the triggers that keep it.
    static var creationSQL: String {
        var sql = """
            CREATE TABLE book_substring_count (
              field TEXT NOT NULL, substring TEXT NOT NULL, books INTEGER NOT NULL, PRIMARY KEY (field, substring)
            ) WITHOUT ROWID;
            CREATE TABLE substring_position (n INTEGER PRIMARY KEY);
            WITH RECURSIVE position(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM position WHERE n < \(longestText))
            INSERT INTO substring_position (n) SELECT n FROM position;
            CREATE TRIGGER book_substring_before_insert BEFORE INSERT ON book
            WHEN length(new.title) > \(longestText) OR length(new.author) > \(longestText) BEGIN
              SELECT RAISE(ABORT, 'title and author are limited to \(longestText) characters');
            END;
            CREATE TRIGGER book_substring_before_update BEFORE UPDATE OF title, author ON book
            WHEN length(new.title) > \(longestText) OR length(new.author) > \(longestText) BEGIN
              SELECT RAISE(ABORT, 'title and author are limited to \(longestText) characters');
            END;
            """
        sql += "CREATE TRIGGER book_substring_after_insert AFTER INSERT ON book BEGIN "
        sql += counting(field: "title", row: "new") + counting(field: "author", row: "new") + "END;"
        sql += "CREATE TRIGGER book_substring_after_delete AFTER DELETE ON book BEGIN "
        sql += uncounting(field: "title", row: "old") + uncounting(field: "author", row: "old") + "END;"
        for field in ["title", "author"] {
            sql += """
                CREATE TRIGGER book_substring_after_update_\(field) AFTER UPDATE OF \(field) ON book
                WHEN old.\(field) IS NOT new.\(field) BEGIN \(uncounting(field: field, row: "old")) \(counting(field: field, row: "new")) END;
                """
        }
        return sql
    }

    /// The distinct one- and two-character substrings of `row.field`, folded as `lower()` folds.
    private static func substrings(field: String, row: String) -> String {
        """
        SELECT lower(substr(\(row).\(field), n, 1)) AS substring FROM substring_position WHERE n <= length(\(row).\(field))
        UNION SELECT lower(substr(\(row).\(field), n, 2)) FROM substring_position WHERE n < length(\(row).\(field))
        """
    }

    private static func counting(field: String, row: String) -> String {
        // `WHERE true` tells the parser the ON CONFLICT belongs to the INSERT, not to a join in the SELECT.
        """
        INSERT INTO book_substring_count (field, substring, books)
          SELECT '\(field)', substring, 1 FROM (\(substrings(field: field, row: row))) WHERE true
          ON CONFLICT (field, substring) DO UPDATE SET books = books + 1;
        """
    }

    private static func uncounting(field: String, row: String) -> String {
        """
        UPDATE book_substring_count SET books = books - 1
          WHERE field = '\(field)' AND substring IN (\(substrings(field: field, row: row)));
        """
    }

    /// Adds a tally's counts to the table's.
    static func add(_ tally: ShortSubstringTally, to db: Database) throws {
        let upsert = try db.makeStatement(
            sql: """
                INSERT INTO book_substring_count (field, substring, books) VALUES (?, ?, ?)
                ON CONFLICT (field, substring) DO UPDATE SET books = books + excluded.books
                """
        )
        for entry in tally.entries {
            try upsert.execute(arguments: [entry.field.rawValue, entry.substring, entry.books])
        }
    }
}
