import GRDB

/// How many books contain each one- and two-character substring of their title and of their author: the exact
/// `count` of a one- or two-character filter, which the trigram index cannot answer (a trigram needs three).
///
/// Without it, `title=zq` scanned every title to count nothing (0.5 s at a million books). Kept by triggers in the
/// writing transaction, so every writer (the API, imports, copies) keeps it exact; the seeder, which lifts the
/// triggers for speed, adds its books' substrings with ``Tally``. Case folds as SQLite's `lower()` and `LIKE` do
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
        sql += add(field: "title", row: "new") + add(field: "author", row: "new") + "END;"
        sql += "CREATE TRIGGER book_substring_after_delete AFTER DELETE ON book BEGIN "
        sql += remove(field: "title", row: "old") + remove(field: "author", row: "old") + "END;"
        for field in ["title", "author"] {
            sql += """
                CREATE TRIGGER book_substring_after_update_\(field) AFTER UPDATE OF \(field) ON book
                WHEN old.\(field) IS NOT new.\(field) BEGIN \(remove(field: field, row: "old")) \(add(field: field, row: "new")) END;
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

    private static func add(field: String, row: String) -> String {
        // `WHERE true` tells the parser the ON CONFLICT belongs to the INSERT, not to a join in the SELECT.
        """
        INSERT INTO book_substring_count (field, substring, books)
          SELECT '\(field)', substring, 1 FROM (\(substrings(field: field, row: row))) WHERE true
          ON CONFLICT (field, substring) DO UPDATE SET books = books + 1;
        """
    }

    private static func remove(field: String, row: String) -> String {
        """
        UPDATE book_substring_count SET books = books - 1
          WHERE field = '\(field)' AND substring IN (\(substrings(field: field, row: row)));
        """
    }

    /// Counts substrings in Swift, for writers that add many books with the triggers lifted (the seeder) and for the
    /// migration that fills the table from the books already there. Mirrors the triggers exactly: characters are
    /// Unicode scalars (SQLite's `substr` and `length` count those), and only ASCII letters are lower-cased.
    struct Tally {
        private var books: [Field: [UInt64: Int]] = [.title: [:], .author: [:]]

        enum Field: String, CaseIterable { case title, author }

        mutating func add(_ text: String, as field: Field) {
            var seen = Set<UInt64>()
            var previous: UInt32?
            for scalar in text.unicodeScalars {
                let folded = Self.lower(scalar.value)
                seen.insert(Self.key(folded, nil))
                if let previous { seen.insert(Self.key(previous, folded)) }
                previous = folded
            }
            for key in seen { books[field, default: [:]][key, default: 0] += 1 }
        }

        /// Adds the tally to the table's counts.
        func write(to db: Database) throws {
            let upsert = try db.makeStatement(
                sql: """
                    INSERT INTO book_substring_count (field, substring, books) VALUES (?, ?, ?)
                    ON CONFLICT (field, substring) DO UPDATE SET books = books + excluded.books
                    """
            )
            for field in Field.allCases {
                for (key, count) in books[field] ?? [:] {
                    try upsert.execute(arguments: [field.rawValue, Self.text(key), count])
                }
            }
        }

        private static let noScalar: UInt64 = 0x3F_FFFF  // above every Unicode scalar value

        private static func key(_ first: UInt32, _ second: UInt32?) -> UInt64 {
            UInt64(first) << 32 | (second.map(UInt64.init) ?? noScalar)
        }

        private static func text(_ key: UInt64) -> String {
            var text = String.UnicodeScalarView()
            text.append(Unicode.Scalar(UInt32(key >> 32))!)
            if key & 0xFFFF_FFFF != noScalar { text.append(Unicode.Scalar(UInt32(key & 0xFFFF_FFFF))!) }
            return String(text)
        }

        private static func lower(_ value: UInt32) -> UInt32 {
            (65...90).contains(value) ? value + 32 : value
        }
    }
}
