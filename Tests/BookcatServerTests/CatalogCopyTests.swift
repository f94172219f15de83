import BookcatApp
import BookcatCore
import BookcatHTTP
import BookcatPostgres
import BookcatSQLite
import BookcatTestSupport
import Foundation
import Logging
import Testing

/// `bookcat copy`'s engine: every row of a SQLite catalog into an empty PostgreSQL database, checked before commit.
@Suite("Catalog copy")
struct CatalogCopyTests {
    static let logger = Logger(label: "bookcat-copy-tests")

    @Test func everyTableArrivesWithItsIdsAndTheSameFingerprint() async throws {
        let sqlite = try AppDatabase.inMemory()
        let made = try await Self.fillWithEveryKindOfRow(sqlite.store())
        let sourcePrint = try await CatalogCopy.fingerprint(of: sqlite, batchSize: 2)
        #expect(sourcePrint.counts == [.users: 2, .tags: 3, .books: 5, .bookTags: 6, .loans: 2, .refreshTokens: 3])

        let postgres = PostgresDatabase(location: try await PostgresCluster.shared.freshDatabase(), poolSize: 2, logger: Self.logger)
        try await postgres.run { postgres in
            try await postgres.migrate()
            // Batches of 2 cross a batch boundary in every table with more than two rows.
            let copied = try await CatalogCopy.copy(from: sqlite, to: postgres, batchSize: 2)
            #expect(copied == sourcePrint)
            // Read again afterwards, outside the copy's transaction: the same rows were committed.
            #expect(try await CatalogCopy.fingerprint(of: postgres, batchSize: 3) == sourcePrint)

            let store = postgres.store()
            let reader = try #require(try await store.users.user(email: "reader@example.org"))
            #expect(reader.id == made.reader.id)
            #expect(reader.passwordHash == made.reader.passwordHash)
            #expect(try await store.loans.loans(userID: reader.id) == (try await sqlite.store().loans.loans(userID: reader.id)))
            let query = try BookListQuery.parse([
                ("order_by", "title"), ("tag", "\(made.tagIDs[0])"), ("tag", "\(made.tagIDs[1])"), ("tag_option", "or"),
            ])
            let expected = try await sqlite.store().books.page(query)
            #expect(try await store.books.page(query) == expected)
            #expect(try await store.books.page(BookListQuery.parse([])).totalCount == 5)
            // New rows get ids after the copied ones, not a clash with them.
            let next = try await store.books.create(Self.draft(isbn: "9780000000990", tagIDs: []))
            #expect(next.id == made.lastBookID + 1)
            let nextTag = try await store.tags.create(name: "after the copy")
            #expect(nextTag.id > made.tagIDs.max()!)
        }
    }

    @Test func aTargetThatHoldsACatalogIsRefusedAndKeepsIt() async throws {
        let sqlite = try AppDatabase.inMemory()
        _ = try await Self.fillWithEveryKindOfRow(sqlite.store())
        let postgres = PostgresDatabase(location: try await PostgresCluster.shared.freshDatabase(), poolSize: 2, logger: Self.logger)
        try await postgres.run { postgres in
            try await postgres.migrate()
            _ = try await postgres.store().tags.create(name: "already here")
            let before = try await CatalogCopy.fingerprint(of: postgres)
            await #expect(throws: CatalogError.self) { try await CatalogCopy.copy(from: sqlite, to: postgres) }
            #expect(try await CatalogCopy.fingerprint(of: postgres) == before)
        }
    }

    @Test func aStoreThatChangesARowOnItsWayInCommitsNothing() async throws {
        let sqlite = try AppDatabase.inMemory()
        _ = try await Self.fillWithEveryKindOfRow(sqlite.store())
        let location = try await PostgresCluster.shared.freshDatabase()
        let postgres = PostgresDatabase(location: location, poolSize: 2, logger: Self.logger)
        try await postgres.run { postgres in
            try await postgres.migrate()
            // A real database that does not keep what it is given: a trigger rewrites one title.
            _ = try PostgresCluster.shared.psql(
                """
                CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.title = 'Dune' THEN NEW.title := 'DUNE'; END IF; RETURN NEW; END $$;
                CREATE TRIGGER shout BEFORE INSERT ON book FOR EACH ROW EXECUTE FUNCTION shout();
                """,
                in: location
            )
            await #expect(throws: CatalogCopy.Failure.self) { try await CatalogCopy.copy(from: sqlite, to: postgres) }
            #expect(try await CatalogCopy.fingerprint(of: postgres).counts.values.allSatisfy { $0 == 0 })
        }
    }

    @Test func theFingerprintTellsAMissingValueFromAnEmptyOneAndSeesOneChangedField() async throws {
        func fingerprint(publisher: String?, stock: Int = 3) async throws -> CatalogFingerprint {
            let database = try AppDatabase.inMemory()
            _ = try await database.store().books.create(
                BookDraft(
                    title: "Dune",
                    author: "Frank Herbert",
                    isbn: "9780441013593",
                    publisher: publisher,
                    publishedAt: CalendarDate("1965-08-01")!,
                    stock: stock,
                    tagIDs: []
                )
            )
            return try await CatalogCopy.fingerprint(of: database)
        }
        let none = try await fingerprint(publisher: nil)
        let empty = try await fingerprint(publisher: "")
        #expect(none.counts == empty.counts)
        #expect(none.checksum != empty.checksum)
        #expect(try await fingerprint(publisher: nil, stock: 4).checksum != none.checksum)
    }

    @Test func sqliteCannotBeCopiedInto() async throws {
        let folder = TemporaryFolder("copy-target")
        defer { folder.remove() }
        let path = folder.databasePath
        _ = try AppDatabase(path: path)
        var configuration = AppConfiguration()
        configuration = try configuration.withStore(at: "sqlite:\(path)", option: "--to")
        let store = try ConfiguredStore.open(configuration, logger: Self.logger)
        #expect(throws: CatalogCopy.Failure.self) { _ = try store.importer }
        #expect(throws: ConfigurationError.self) { _ = try configuration.withStore(at: "sqlite:\(path).missing", option: "--from") }
        #expect(throws: ConfigurationError.self) { _ = try configuration.withStore(at: "postgres://", option: "--to") }
    }

    // MARK: - A catalog with every kind of row

    struct Made {
        var reader: User
        var tagIDs: [Int64]
        var lastBookID: Int64
    }

    /// Two accounts, three tags, five books (one without a publisher, one with a non-ASCII title), six tag links,
    /// a returned and an open loan, and refresh tokens used, revoked and fresh.
    static func fillWithEveryKindOfRow(_ store: CatalogStore) async throws -> Made {
        _ = try await store.users.create(NewUser(email: "admin@example.org", username: "admin", passwordHash: "$2b$04$admin", role: .admin))
        let reader = try await store.users.create(
            NewUser(email: "Reader@Example.org", username: "Reader", passwordHash: "$2b$04$reader", role: .user)
        )
        var tagIDs: [Int64] = []
        for name in ["science fiction", "classics", "Ünïcode"] { tagIDs.append(try await store.tags.create(name: name).id) }
        let titles: [(String, String?, [Int64])] = [
            ("Dune", "Chilton", [tagIDs[0], tagIDs[1]]),
            ("Les Misérables", nil, [tagIDs[1], tagIDs[2]]),
            ("Neuromancer", "Ace", [tagIDs[0]]),
            ("dune messiah", "Putnam", [tagIDs[0], tagIDs[1]]),
            ("Untagged", "", []),
        ]
        var lastBookID: Int64 = 0
        var bookIDs: [Int64] = []
        for (index, (title, publisher, tags)) in titles.enumerated() {
            var draft = draft(isbn: "978000000000\(index)", tagIDs: tags)
            draft.title = title
            draft.publisher = publisher
            let book = try await store.books.create(draft)
            bookIDs.append(book.id)
            lastBookID = book.id
        }
        // A deleted book leaves a gap in the ids, which the copy keeps.
        try await store.books.delete(id: bookIDs[2])
        _ = try await store.books.create(draft(isbn: "9780000000009", tagIDs: []))
        lastBookID += 1
        let now = Date(timeIntervalSince1970: 1_790_000_000.123)
        let returned = try await store.loans.create(userID: reader.id, bookID: bookIDs[0], quantity: 2, now: now)
        _ = try await store.loans.markReturned(id: returned.id, now: now.addingTimeInterval(3_600.5))
        _ = try await store.loans.create(userID: reader.id, bookID: bookIDs[1], quantity: 1, now: now)
        let first = RefreshTokenRecord(
            tokenID: "b-first",
            familyID: "family-1",
            userID: reader.id,
            tokenHash: "hash-1",
            expiresAt: now.addingTimeInterval(86_400)
        )
        #expect(try await store.refreshTokens.store(first, whilePasswordHashIs: reader.passwordHash))
        let successor = RefreshTokenRecord(
            tokenID: "a-second",
            familyID: "family-1",
            userID: reader.id,
            tokenHash: "hash-2",
            expiresAt: now.addingTimeInterval(86_400)
        )
        _ = try await store.refreshTokens.rotate(presentedHash: "hash-1", successor: successor, now: now, grace: 10)
        let other = RefreshTokenRecord(tokenID: "c-other", familyID: "family-2", userID: reader.id, tokenHash: "hash-3", expiresAt: now)
        #expect(try await store.refreshTokens.store(other, whilePasswordHashIs: reader.passwordHash))
        _ = try await store.refreshTokens.revokeFamily(ofTokenHash: "hash-3", userID: reader.id, now: now)
        return Made(reader: reader, tagIDs: tagIDs, lastBookID: lastBookID)
    }

    static func draft(isbn: String, tagIDs: [Int64]) -> BookDraft {
        BookDraft(
            title: "A book",
            author: "An Author",
            isbn: isbn,
            publisher: "Ace",
            publishedAt: CalendarDate("1984-07-01")!,
            stock: 5,
            tagIDs: tagIDs
        )
    }
}
