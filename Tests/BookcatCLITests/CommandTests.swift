import ArgumentParser
import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import Testing

@testable import bookcat

/// The commands as a shell runs them, parsed from their arguments by `Bookcat.parseAsRoot`, over a database file
/// of their own (named through a task-local environment, never the process's).
@Suite("bookcat commands")
struct CommandTests {
    private func run(_ arguments: [String], database folder: TemporaryFolder) async throws {
        guard var command = try Bookcat.parseAsRoot(arguments) as? any AsyncParsableCommand else {
            throw TestFailure("\(arguments) is not an async command")
        }
        try await CommandEnvironment.$override.withValue(["DATABASE_PATH": folder.databasePath, "REDIS_URL": "off"]) {
            try await command.run()
        }
    }

    @Test func migrateCreatesTheSchemaOnAFreshFile() async throws {
        let folder = TemporaryFolder("cli-migrate")
        defer { folder.remove() }
        try await run(["migrate"], database: folder)
        let applied = try await AppDatabase(path: folder.databasePath).appliedMigrations()
        #expect(applied.first == "0001_create_catalog" && applied.count >= 6)
    }

    @Test func userCreateMakesAnAdminThatCanLogIn() async throws {
        let folder = TemporaryFolder("cli-user")
        defer { folder.remove() }
        try await run(["user", "create", "--email", "root@example.org", "--password", "admin password 1", "--admin"], database: folder)
        let user = try #require(try await AppDatabase(path: folder.databasePath).store().users.user(email: "root@example.org"))
        #expect(user.role == .admin && user.username == "root")
        #expect(user.passwordHash.hasPrefix("$2"))
    }

    @Test func userCreateRefusesATakenEmailWithAClearMessage() async throws {
        let folder = TemporaryFolder("cli-user-taken")
        defer { folder.remove() }
        try await run(["user", "create", "--email", "ada@example.org", "--password", "member password 1"], database: folder)
        // Not a ValidationError: that would print the usage text under a command line that was right.
        let error = await #expect(throws: RefusedByStore.self) {
            try await run(["user", "create", "--email", "ada@example.org", "--password", "member password 1"], database: folder)
        }
        #expect(error?.description.hasPrefix("email is already registered") == true)
    }

    /// The Django service's own database (the server tests' fixture), imported as an operator runs it.
    private static let djangoDatabase = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../BookcatServerTests/Fixtures/django-seed/db.sqlite3").standardizedFileURL.path

    @Test func importDjangoFillsAnEmptyStoreOnceAndRefusesASecondTime() async throws {
        let folder = TemporaryFolder("cli-import-django")
        defer { folder.remove() }
        try await run(["import-django", Self.djangoDatabase, "--recount-stock"], database: folder)
        let store = try AppDatabase(path: folder.databasePath).store()
        #expect(try await store.users.allUsers().count == 4)
        #expect(try await store.books.page(BookListQuery.parse([])).totalCount == 60)
        let error = await #expect(throws: RefusedByStore.self) {
            try await run(["import-django", Self.djangoDatabase], database: folder)
        }
        #expect(error?.description.contains("already holds accounts") == true)
        #expect(error?.description.hasSuffix("nothing was written") == true)
    }

    @Test func importDjangoRefusesADatabaseThatIsNotTheServices() async throws {
        let folder = TemporaryFolder("cli-import-other")
        defer { folder.remove() }
        let other = TemporaryFolder("cli-import-source")
        defer { other.remove() }
        _ = try AppDatabase(path: other.databasePath)
        let error = await #expect(throws: RefusedByStore.self) {
            try await run(["import-django", other.databasePath], database: folder)
        }
        #expect(error?.description.contains("not the Django service's database") == true)
    }

    @Test func userCreateNeedsExactlyOnePasswordSource() {
        #expect(throws: (any Error).self) { _ = try Bookcat.parseAsRoot(["user", "create", "--email", "a@example.org"]) }
        #expect(throws: (any Error).self) {
            _ = try Bookcat.parseAsRoot(["user", "create", "--email", "a@example.org", "--password", "x", "--password-stdin"])
        }
    }

    @Test func seedAddsTheAskedNumberOfBooksDeterministically() async throws {
        let first = TemporaryFolder("cli-seed-1")
        let second = TemporaryFolder("cli-seed-2")
        defer {
            first.remove()
            second.remove()
        }
        for folder in [first, second] { try await run(["seed", "--books", "40", "--tags", "5", "--seed", "9"], database: folder) }
        var pages: [BookPage] = []
        for folder in [first, second] {
            pages.append(try await AppDatabase(path: folder.databasePath).store().books.page(try BookListQuery.parse([("page_size", "100")])))
        }
        #expect(pages[0].totalCount == 40)
        #expect(pages[0].books.map(\.isbn) == pages[1].books.map(\.isbn))
        #expect(throws: (any Error).self) { _ = try Bookcat.parseAsRoot(["seed", "--books", "0"]) }
    }
}
