import BookcatCore
import Foundation
import PostgresNIO

extension PostgresDatabase: CatalogExporting, CatalogImporting {
    public func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws {
        try await SQLRunner(client: client, logger: logger).snapshot { db in
            try await CatalogExport(db: db, batchSize: batchSize).run(visit)
        }
    }

    public func importCatalog(_ body: (any CatalogImportSession) async throws -> Void) async throws {
        try await SQLRunner(client: client, logger: logger).writeAlone { db in
            // No replica writes while the catalog goes in, and none was written before it: ids are kept as they are,
            // so they must not meet rows of another history.
            try await db.execute("LOCK TABLE \"user\", refresh_token, tag, book, book_tag, loan IN SHARE ROW EXCLUSIVE MODE")
            let holdsData = try await db.rows(
                "SELECT EXISTS (SELECT 1 FROM \"user\") OR EXISTS (SELECT 1 FROM tag) OR EXISTS (SELECT 1 FROM book)"
            ).decode(Bool.self).firstElement()
            if holdsData == true {
                throw CatalogError.targetNotEmpty(for: "copy")
            }
            try await body(CatalogImport(db: db))
            // The rows kept their ids: the next row made through the API gets the id after the highest.
            for table in ["\"user\"", "tag", "book", "loan"] {
                try await db.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM \(table)
                            """
                    )
                )
            }
        }
    }
}

/// Reads every table in key order, a batch at a time, on one transaction's connection.
private struct CatalogExport {
    let db: Transaction
    let batchSize: Int

    func run(_ visit: (CatalogBatch) async throws -> Void) async throws {
        try await walk(from: Int64(0), key: \.id, batch: CatalogBatch.users, visit) { after in
            try await db.rows(
                """
                SELECT id, email, username, username_key, password_hash, role, created_at FROM "user"
                WHERE id > \(after) ORDER BY id LIMIT \(batchSize)
                """
            ).decode((Int64, String, String, String, String, String, Date).self).collect().map(CatalogRows.User.init)
        }
        try await walk(from: Int64(0), key: \.id, batch: CatalogBatch.tags, visit) { after in
            try await db.rows("SELECT id, name FROM tag WHERE id > \(after) ORDER BY id LIMIT \(batchSize)")
                .decode((Int64, String).self).collect().map(Tag.init)
        }
        try await walk(from: Int64(0), key: \.id, batch: CatalogBatch.books, visit) { after in
            try await db.rows(
                "SELECT \(unescaped: PostgresBookRepository.columns) FROM book WHERE id > \(after) ORDER BY id LIMIT \(batchSize)"
            ).decode(PostgresBookRepository.Row.self).collect().map(CatalogRows.Book.init)
        }
        try await walk(from: CatalogRows.BookTag(bookID: 0, tagID: 0), key: \.self, batch: CatalogBatch.bookTags, visit) { after in
            try await db.rows(
                """
                SELECT book_id, tag_id FROM book_tag WHERE (book_id, tag_id) > (\(after.bookID), \(after.tagID))
                ORDER BY book_id, tag_id LIMIT \(batchSize)
                """
            ).decode((Int64, Int64).self).collect().map(CatalogRows.BookTag.init)
        }
        try await walk(from: Int64(0), key: \.id, batch: CatalogBatch.loans, visit) { after in
            try await db.rows(
                "SELECT \(unescaped: PostgresLoanRepository.columns) FROM loan WHERE id > \(after) ORDER BY id LIMIT \(batchSize)"
            ).decode(PostgresLoanRepository.Row.self).collect().map(PostgresLoanRepository.loan)
        }
        // Token ids in byte order (COLLATE "C"), as SQLite orders text, whatever the database's own collation.
        try await walk(from: "", key: \.tokenID, batch: CatalogBatch.refreshTokens, visit) { after in
            try await db.rows(
                """
                SELECT token_id, family_id, user_id, token_hash, expires_at, used_at, revoked_at FROM refresh_token
                WHERE token_id COLLATE "C" > \(after) ORDER BY token_id COLLATE "C" LIMIT \(batchSize)
                """
            ).decode((String, String, Int64, String, Date, Date?, Date?).self).collect().map(RefreshTokenRecord.init)
        }
    }

    /// Pages through one table by its key: each page starts after the last row of the one before.
    private func walk<Row, Key>(
        from start: Key,
        key: (Row) -> Key,
        batch: ([Row]) -> CatalogBatch,
        _ visit: (CatalogBatch) async throws -> Void,
        page: (Key) async throws -> [Row]
    ) async throws {
        var after = start
        while true {
            let rows = try await page(after)
            guard let last = rows.last else { return }
            try await visit(batch(rows))
            guard rows.count == batchSize else { return }
            after = key(last)
        }
    }
}

/// Writes batches with one statement each: columns go in as arrays and come out of `unnest` as rows. Arrays carry
/// no NULLs here, so a nullable column travels as its values and a "present" flag beside them.
private struct CatalogImport: CatalogImportSession {
    let db: Transaction

    func write(_ batch: CatalogBatch) async throws {
        switch batch {
        case .users(let rows):
            try await db.execute(
                """
                INSERT INTO "user" (id, email, username, username_key, password_hash, role, created_at)
                SELECT * FROM unnest(\(rows.map(\.id))::bigint[], \(rows.map(\.email))::text[], \(rows.map(\.username))::text[],
                                     \(rows.map(\.usernameKey))::text[], \(rows.map(\.passwordHash))::text[],
                                     \(rows.map(\.role))::text[], \(rows.map(\.createdAt))::timestamptz[])
                """
            )
        case .tags(let rows):
            try await db.execute(
                "INSERT INTO tag (id, name) SELECT * FROM unnest(\(rows.map(\.id))::bigint[], \(rows.map(\.name))::text[])"
            )
        case .books(let rows):
            let publisher = Nullable(rows.map(\.publisher), absent: "")
            try await db.execute(
                """
                INSERT INTO book (id, title, author, isbn, publisher, published_at, stock, created_at, updated_at)
                SELECT id, title, author, isbn, CASE WHEN has_publisher THEN publisher END, published_at::date, stock,
                       created_at, updated_at
                FROM unnest(\(rows.map(\.id))::bigint[], \(rows.map(\.title))::text[], \(rows.map(\.author))::text[],
                            \(rows.map(\.isbn))::text[], \(publisher.values)::text[], \(publisher.present)::bool[],
                            \(rows.map(\.publishedAt))::text[], \(rows.map(\.stock))::int[],
                            \(rows.map(\.createdAt))::timestamptz[], \(rows.map(\.updatedAt))::timestamptz[])
                  AS b(id, title, author, isbn, publisher, has_publisher, published_at, stock, created_at, updated_at)
                """
            )
        case .bookTags(let rows):
            try await db.execute(
                "INSERT INTO book_tag (book_id, tag_id) SELECT * FROM unnest(\(rows.map(\.bookID))::bigint[], \(rows.map(\.tagID))::bigint[])"
            )
        case .loans(let rows):
            let returnedAt = Nullable(rows.map(\.returnedAt), absent: Date(timeIntervalSince1970: 0))
            try await db.execute(
                """
                INSERT INTO loan (id, user_id, book_id, quantity, is_returned, created_at, returned_at)
                SELECT id, user_id, book_id, quantity, is_returned, created_at, CASE WHEN has_returned_at THEN returned_at END
                FROM unnest(\(rows.map(\.id))::bigint[], \(rows.map(\.userID))::bigint[], \(rows.map(\.bookID))::bigint[],
                            \(rows.map(\.quantity))::int[], \(rows.map(\.isReturned))::bool[], \(rows.map(\.createdAt))::timestamptz[],
                            \(returnedAt.values)::timestamptz[], \(returnedAt.present)::bool[])
                  AS l(id, user_id, book_id, quantity, is_returned, created_at, returned_at, has_returned_at)
                """
            )
        case .refreshTokens(let rows):
            let usedAt = Nullable(rows.map(\.usedAt), absent: Date(timeIntervalSince1970: 0))
            let revokedAt = Nullable(rows.map(\.revokedAt), absent: Date(timeIntervalSince1970: 0))
            try await db.execute(
                """
                INSERT INTO refresh_token (token_id, family_id, user_id, token_hash, expires_at, used_at, revoked_at)
                SELECT token_id, family_id, user_id, token_hash, expires_at,
                       CASE WHEN has_used_at THEN used_at END, CASE WHEN has_revoked_at THEN revoked_at END
                FROM unnest(\(rows.map(\.tokenID))::text[], \(rows.map(\.familyID))::text[], \(rows.map(\.userID))::bigint[],
                            \(rows.map(\.tokenHash))::text[], \(rows.map(\.expiresAt))::timestamptz[],
                            \(usedAt.values)::timestamptz[], \(usedAt.present)::bool[],
                            \(revokedAt.values)::timestamptz[], \(revokedAt.present)::bool[])
                  AS t(token_id, family_id, user_id, token_hash, expires_at, used_at, has_used_at, revoked_at, has_revoked_at)
                """
            )
        }
    }

    func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws {
        try await CatalogExport(db: db, batchSize: batchSize).run(visit)
    }

    /// A nullable column as an array without NULLs: each value (`absent` where there is none) and whether it is there.
    private struct Nullable<Value> {
        let values: [Value]
        let present: [Bool]

        init(_ column: [Value?], absent: Value) {
            values = column.map { $0 ?? absent }
            present = column.map { $0 != nil }
        }
    }
}
