import BookcatCore
import Foundation
import GRDB

/// A SQLite file as the target of an import (`bookcat import-django`): one transaction over every batch, read back
/// before it commits.
///
/// The batches come from async code (another store, read a batch at a time), and GRDB runs a transaction inside one
/// synchronous closure; so this opens its own connection to the file, on which a transaction may stay open between
/// calls, and begins it IMMEDIATE: a server writing to the same file waits (or times out) until the import ends, and
/// nothing it writes meets the imported ids. Open the file with ``AppDatabase`` first, which migrates it.
public struct SQLiteCatalogImporter: CatalogImporting {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func importCatalog(_ body: (any CatalogImportSession) async throws -> Void) async throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.allowsUnsafeTransactions = true
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        try await connection.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            let holdsData = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM user) OR EXISTS (SELECT 1 FROM tag) OR EXISTS (SELECT 1 FROM book)"
            )
            if holdsData == true {
                try db.execute(sql: "ROLLBACK")
                throw CatalogError.targetNotEmpty(for: "import")
            }
        }
        do {
            try await body(Session(connection: connection))
            try await connection.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        } catch {
            try? await connection.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            throw error
        }
    }

    /// Writes on the import's connection, inside its open transaction.
    private struct Session: CatalogImportSession {
        let connection: DatabaseQueue

        func write(_ batch: CatalogBatch) async throws {
            try await connection.writeWithoutTransaction { db in
                switch batch {
                case .users(let rows):
                    let insert = try db.cachedStatement(
                        sql: "INSERT INTO user (id, email, username, username_key, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    )
                    for row in rows {
                        try insert.execute(arguments: [row.id, row.email, row.username, row.usernameKey, row.passwordHash, row.role, row.createdAt])
                    }
                case .tags(let rows):
                    let insert = try db.cachedStatement(sql: "INSERT INTO tag (id, name) VALUES (?, ?)")
                    for row in rows { try insert.execute(arguments: [row.id, row.name]) }
                case .books(let rows):
                    let insert = try db.cachedStatement(
                        sql: """
                            INSERT INTO book (id, title, author, isbn, publisher, published_at, stock, created_at, updated_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    )
                    for row in rows {
                        try insert.execute(arguments: [
                            row.id, row.title, row.author, row.isbn, row.publisher, row.publishedAt, row.stock, row.createdAt, row.updatedAt,
                        ])
                    }
                case .bookTags(let rows):
                    let insert = try db.cachedStatement(sql: "INSERT INTO book_tag (book_id, tag_id) VALUES (?, ?)")
                    for row in rows { try insert.execute(arguments: [row.bookID, row.tagID]) }
                case .loans(let rows):
                    let insert = try db.cachedStatement(
                        sql: "INSERT INTO loan (id, user_id, book_id, quantity, is_returned, created_at, returned_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    )
                    for row in rows {
                        try insert.execute(arguments: [row.id, row.userID, row.bookID, row.quantity, row.isReturned, row.createdAt, row.returnedAt])
                    }
                case .refreshTokens(let rows):
                    let insert = try db.cachedStatement(
                        sql: """
                            INSERT INTO refresh_token (token_id, family_id, user_id, token_hash, expires_at, used_at, revoked_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """
                    )
                    for row in rows {
                        try insert.execute(arguments: [
                            row.tokenID, row.familyID, row.userID, row.tokenHash, row.expiresAt, row.usedAt, row.revokedAt,
                        ])
                    }
                }
            }
        }

        func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws {
            for table in CatalogTable.allCases {
                var after: [DatabaseValue]? = nil
                while true {
                    let (batch, last) = try await connection.writeWithoutTransaction { [after] db in
                        try AppDatabase.batch(of: table, after: after, limit: batchSize, db)
                    }
                    guard let batch, batch.count > 0 else { break }
                    try await visit(batch)
                    guard batch.count == batchSize else { break }
                    after = last
                }
            }
        }
    }
}
