import BookcatCore
import Foundation
import GRDB

/// Writes a deterministic synthetic catalog straight to the database, for load tests and demos.
///
/// The same seed on the same starting database always gives the same books. All rows go in one transaction through
/// prepared statements, with the search-index and count triggers lifted meanwhile: the index is rebuilt and the count
/// recomputed once at the end, which is several times faster than maintaining both row by row. Writers wait for it
/// (readers do not), so seed before a load test, not during one.
public struct CatalogSeeder: Sendable {
    public struct Summary: Sendable {
        public var books: Int
        public var tags: Int
        public var seconds: Double
    }

    private let writer: any DatabaseWriter

    public init(database: AppDatabase) {
        self.writer = database.writer
    }

    public func seed(
        books: Int,
        tags tagCount: Int,
        seed: UInt64,
        batchSize: Int = 10_000,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> Summary {
        let started = Date()
        let tagIDs = try await ensureTags(count: tagCount)
        let existing = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM book") ?? 0 }
        let random = SplitMix64(seed: seed)
        try await writer.write { db in
            // A larger page cache for this connection while it builds a million-row index.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
            let triggers = try Row.fetchAll(
                db,
                sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'book_search_%' OR name LIKE 'catalog_stats_%')"
            )
            for trigger in triggers {
                try db.execute(sql: "DROP TRIGGER \(trigger["name"] as String)")
            }
            let insertBook = try db.makeStatement(
                sql: """
                    INSERT INTO book (title, author, isbn, publisher, published_at, stock, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            let insertTag = try db.makeStatement(sql: "INSERT INTO book_tag (book_id, tag_id) VALUES (?, ?)")
            var random = random
            for index in 0..<books {
                let row = SyntheticBook(index: existing + index, tagIDs: tagIDs, random: &random)
                try insertBook.execute(arguments: [
                    row.title, row.author, row.isbn, row.publisher, row.publishedAt, row.stock, row.createdAt, row.createdAt,
                ])
                let bookID = db.lastInsertedRowID
                for tagID in row.tagIDs {
                    try insertTag.execute(arguments: [bookID, tagID])
                }
                if (index + 1) % batchSize == 0 || index + 1 == books { progress(index + 1) }
            }
            try db.execute(sql: "INSERT INTO book_search(book_search) VALUES ('rebuild')")
            try db.execute(sql: "UPDATE catalog_stats SET book_count = (SELECT COUNT(*) FROM book) WHERE id = 1")
            for trigger in triggers {
                try db.execute(sql: trigger["sql"] as String)
            }
        }
        let written = books
        return Summary(books: written, tags: tagIDs.count, seconds: Date().timeIntervalSince(started))
    }

    /// Tags named `genre-N`, created if missing; returns the ids of the first `count`.
    private func ensureTags(count: Int) async throws -> [Int64] {
        try await writer.write { db in
            for index in 1...max(1, count) {
                try db.execute(sql: "INSERT OR IGNORE INTO tag (name) VALUES (?)", arguments: [SyntheticBook.tagName(index)])
            }
            let names = (1...max(1, count)).map(SyntheticBook.tagName)
            return try Int64.fetchAll(
                db,
                sql: "SELECT id FROM tag WHERE name IN (\(databaseQuestionMarks(count: names.count))) ORDER BY id",
                arguments: StatementArguments(names)
            )
        }
    }
}

/// One generated book.
private struct SyntheticBook {
    static let adjectives = [
        "Silent", "Golden", "Hidden", "Last", "Broken", "Endless", "Crimson", "Distant", "Quiet", "Burning",
        "Frozen", "Secret", "Lost", "Wild", "Hollow", "Bright", "Dark", "Ancient", "Restless", "Little",
    ]
    static let nouns = [
        "River", "Garden", "Empire", "Winter", "Harbor", "Forest", "Mirror", "Kingdom", "Letter", "Island",
        "Machine", "Orchard", "Storm", "Library", "Voyage", "Shadow", "Bridge", "Station", "Circle", "Lantern",
    ]
    static let firstNames = [
        "Ada", "Grace", "Alan", "Frank", "Ursula", "Octavia", "Isaac", "Mary", "Jorge", "Toni",
        "Haruki", "Chinua", "Virginia", "Gabriel", "Italo", "Clarice", "Naguib", "Wislawa", "Kazuo", "Doris",
    ]
    static let lastNames = [
        "Lovelace", "Hopper", "Turing", "Herbert", "Le Guin", "Butler", "Asimov", "Shelley", "Borges", "Morrison",
        "Murakami", "Achebe", "Woolf", "Marquez", "Calvino", "Lispector", "Mahfouz", "Szymborska", "Ishiguro", "Lessing",
    ]
    static let publishers = ["Chilton", "Ace", "Penguin", "Vintage", "Faber", "Gollancz", nil]

    static func tagName(_ index: Int) -> String { "genre-\(index)" }

    var title: String
    var author: String
    var isbn: String
    var publisher: String?
    var publishedAt: String
    var stock: Int
    var createdAt: Date
    var tagIDs: [Int64]

    init(index: Int, tagIDs allTags: [Int64], random: inout SplitMix64) {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        title = "\(pick(Self.adjectives)) \(pick(Self.nouns)) of the \(pick(Self.nouns)) \(index)"
        author = "\(pick(Self.firstNames)) \(pick(Self.lastNames))"
        let digits = String(index)
        isbn = "979" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
        publisher = pick(Self.publishers)
        let year = 1900 + Int(random.next() % 125)
        let month = 1 + Int(random.next() % 12)
        let day = 1 + Int(random.next() % 28)
        publishedAt = String(format: "%04d-%02d-%02d", year, month, day)
        stock = Int(random.next() % 20)
        createdAt = Date(timeIntervalSince1970: 1_577_836_800 + Double(index))
        let tagCount = 1 + Int(random.next() % 3)
        tagIDs = Array(Set((0..<tagCount).map { _ in pick(allTags) })).sorted()
    }
}
