import BookcatCore
import Foundation
import GRDB

extension AppDatabase: CatalogExporting {
    public func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws {
        // A file database is read through a snapshot: one read transaction held open for the whole export, so the
        // batches agree with one another even if a server writes meanwhile. A database in memory (tests) has one
        // connection, on which reads and writes take turns anyway.
        let reader: any DatabaseReader = if let pool = writer as? DatabasePool { try pool.makeSnapshot() } else { writer }
        for table in CatalogTable.allCases {
            var after: [DatabaseValue]? = nil
            while true {
                let (batch, last) = try await reader.read { [after] db in try Self.batch(of: table, after: after, limit: batchSize, db) }
                guard let batch, batch.count > 0 else { break }
                try await visit(batch)
                guard batch.count == batchSize else { break }
                after = last
            }
        }
    }

    /// Up to `limit` rows of `table` whose key comes after `after` (from the start when nil), and the last row's key.
    static func batch(
        of table: CatalogTable,
        after: [DatabaseValue]?,
        limit: Int,
        _ db: Database
    ) throws -> (CatalogBatch?, [DatabaseValue]?) {
        let key = Self.keys[table]!
        let keyList = key.joined(separator: ", ")
        let placeholders = key.map { _ in "?" }.joined(separator: ", ")
        let filter = after == nil ? "" : "WHERE (\(keyList)) > (\(placeholders))"
        let sql = "SELECT * FROM \"\(table.rawValue)\" \(filter) ORDER BY \(keyList) LIMIT ?"
        let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments((after ?? []) + [limit.databaseValue]))
        guard let lastRow = rows.last else { return (nil, nil) }
        let last: [DatabaseValue] = key.map { lastRow[$0] }
        // The records the repositories read and write, so the export knows no column the store does not.
        switch table {
        case .users:
            return (.users(try rows.map { CatalogRows.User(try UserRecord(row: $0)) }), last)
        case .tags:
            return (.tags(try rows.map { try TagRecord(row: $0).tag }), last)
        case .books:
            return (.books(try rows.map { CatalogRows.Book(try BookRecord(row: $0)) }), last)
        case .bookTags:
            return (.bookTags(try rows.map { CatalogRows.BookTag(try BookTagRecord(row: $0)) }), last)
        case .loans:
            return (.loans(try rows.map { try LoanRecord(row: $0).loan }), last)
        case .refreshTokens:
            return (.refreshTokens(try rows.map { try RefreshTokenRow(row: $0).record }), last)
        }
    }

    /// Each table's key: the order the export walks it in.
    private static let keys: [CatalogTable: [String]] = [
        .users: ["id"], .tags: ["id"], .books: ["id"], .bookTags: ["book_id", "tag_id"], .loans: ["id"], .refreshTokens: ["token_id"],
    ]
}

extension CatalogRows.User {
    fileprivate init(_ record: UserRecord) {
        self.init(
            id: record.id ?? 0,
            email: record.email,
            username: record.username,
            usernameKey: record.usernameKey,
            passwordHash: record.passwordHash,
            role: record.role,
            createdAt: record.createdAt
        )
    }
}

extension CatalogRows.Book {
    fileprivate init(_ record: BookRecord) {
        self.init(
            id: record.id ?? 0,
            title: record.title,
            author: record.author,
            isbn: record.isbn,
            publisher: record.publisher,
            publishedAt: record.publishedAt,
            stock: record.stock,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt
        )
    }
}

extension CatalogRows.BookTag {
    fileprivate init(_ record: BookTagRecord) {
        self.init(bookID: record.bookID, tagID: record.tagID)
    }
}
