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
    private static func batch(
        of table: CatalogTable,
        after: [DatabaseValue]?,
        limit: Int,
        _ db: Database
    ) throws -> (CatalogBatch?, [DatabaseValue]?) {
        let (columns, key) = Self.layout[table]!
        let keyList = key.joined(separator: ", ")
        let placeholders = key.map { _ in "?" }.joined(separator: ", ")
        let filter = after == nil ? "" : "WHERE (\(keyList)) > (\(placeholders))"
        let sql = "SELECT \(columns) FROM \"\(table.rawValue)\" \(filter) ORDER BY \(keyList) LIMIT ?"
        let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments((after ?? []) + [limit.databaseValue]))
        guard let lastRow = rows.last else { return (nil, nil) }
        let last: [DatabaseValue] = key.map { lastRow[$0] }
        switch table {
        case .users:
            return (.users(rows.map(Self.user)), last)
        case .tags:
            return (.tags(rows.map { Tag(id: $0["id"], name: $0["name"]) }), last)
        case .books:
            return (.books(rows.map(Self.book)), last)
        case .bookTags:
            return (.bookTags(rows.map { CatalogRows.BookTag(bookID: $0["book_id"], tagID: $0["tag_id"]) }), last)
        case .loans:
            return (.loans(rows.map(Self.loan)), last)
        case .refreshTokens:
            return (.refreshTokens(rows.map(Self.refreshToken)), last)
        }
    }

    /// Each table's columns and its key, the order the export walks it in.
    private static let layout: [CatalogTable: (columns: String, key: [String])] = [
        .users: ("id, email, username, username_key, password_hash, role, created_at", ["id"]),
        .tags: ("id, name", ["id"]),
        .books: ("id, title, author, isbn, publisher, published_at, stock, created_at, updated_at", ["id"]),
        .bookTags: ("book_id, tag_id", ["book_id", "tag_id"]),
        .loans: ("id, user_id, book_id, quantity, is_returned, created_at, returned_at", ["id"]),
        .refreshTokens: ("token_id, family_id, user_id, token_hash, expires_at, used_at, revoked_at", ["token_id"]),
    ]

    private static func user(_ row: Row) -> CatalogRows.User {
        let username: String = row["username"]
        return CatalogRows.User(
            id: row["id"],
            email: row["email"],
            username: username,
            // Filled for every account by migration 0005; SQLite cannot add a NOT NULL column, so say what it means.
            usernameKey: row["username_key"] ?? UsernameSkeleton.of(username),
            passwordHash: row["password_hash"],
            role: row["role"],
            createdAt: row["created_at"]
        )
    }

    private static func book(_ row: Row) -> CatalogRows.Book {
        CatalogRows.Book(
            id: row["id"],
            title: row["title"],
            author: row["author"],
            isbn: row["isbn"],
            publisher: row["publisher"],
            publishedAt: row["published_at"],
            stock: row["stock"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }

    private static func loan(_ row: Row) -> Loan {
        Loan(
            id: row["id"],
            userID: row["user_id"],
            bookID: row["book_id"],
            quantity: row["quantity"],
            isReturned: row["is_returned"],
            createdAt: row["created_at"],
            returnedAt: row["returned_at"]
        )
    }

    private static func refreshToken(_ row: Row) -> RefreshTokenRecord {
        RefreshTokenRecord(
            tokenID: row["token_id"],
            familyID: row["family_id"],
            userID: row["user_id"],
            tokenHash: row["token_hash"],
            expiresAt: row["expires_at"],
            usedAt: row["used_at"],
            revokedAt: row["revoked_at"]
        )
    }
}
