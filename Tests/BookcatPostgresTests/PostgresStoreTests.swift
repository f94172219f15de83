import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Logging
import Testing

@testable import BookcatPostgres

/// What only the PostgreSQL adapter does; the behaviour both stores share is tested through the server's suites,
/// which `scripts/test.sh` runs on both.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    static let logger = Logger(label: "bookcat-postgres-tests")

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        // A pool runs once, so each step gets new "replicas" on the same database.
        func replica() -> PostgresDatabase { PostgresDatabase(location: location, poolSize: 2, logger: Self.logger) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { try await replica().run { try await $0.migrate() } }
            }
            try await group.waitForAll()
        }
        let applied = try await replica().run { try await $0.appliedMigrations() }
        #expect(applied == PostgresMigrations.all.map(\.name))
        // And migrating again changes nothing.
        let again = try await replica().run { postgres in
            try await postgres.migrate()
            return try await postgres.appliedMigrations()
        }
        #expect(again == applied)
    }

    @Test func theSameSeedGivesTheSameCatalogAsSQLite() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        let sqlite = try AppDatabase.inMemory()
        _ = try await CatalogSeeder(database: sqlite).seed(books: 300, tags: 7, seed: 42)
        let query = try BookListQuery.parse([("order_by", "title"), ("page_size", "100"), ("tag", "3")])
        let expected = try await sqlite.store().books.page(query)
        let seeded = try await PostgresDatabase(location: location, poolSize: 2, logger: Self.logger).run { postgres in
            try await postgres.migrate()
            // Two batches, to cross a batch boundary.
            let summary = try await postgres.seed(books: 300, tags: 7, seed: 42, batchSize: 200)
            return (summary, try await postgres.store().books.page(query))
        }
        #expect(seeded.0.books == 300)
        #expect(seeded.1.totalCount == expected.totalCount)
        #expect(seeded.1.books.map(\.title) == expected.books.map(\.title))
        #expect(seeded.1.books.map(\.tags) == expected.books.map(\.tags))
        #expect(seeded.1.books.map(\.publisher) == expected.books.map(\.publisher))
        #expect(seeded.1.books.map(\.publishedAt) == expected.books.map(\.publishedAt))
    }

    @Test func twoSignupsRacingForOneNameGiveOneAccountAndOneConflict() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        try await PostgresDatabase(location: location, poolSize: 8, logger: Self.logger).run { postgres in
            try await postgres.migrate()
            let users = postgres.store().users
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        do {
                            // The same e-mail in different cases: one account, whichever wins.
                            let email = index.isMultiple(of: 2) ? "race@example.org" : "RACE@example.org"
                            _ = try await users.create(NewUser(email: email, username: "racer\(index)", passwordHash: "x", role: .user))
                            return true
                        } catch CatalogError.conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await users.allUsers().count == 1)
        }
    }
}
