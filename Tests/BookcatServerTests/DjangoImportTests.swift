import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

/// `bookcat import-django` on a database the Django service made itself, through its own API, with the real passwords
/// of its accounts (`Fixtures/django-seed`): on the store the suite runs on (SQLite, and PostgreSQL in the second pass).
@Suite struct DjangoImportTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/django-seed")
    /// The service's database with what it allowed and bookcat's rules do not (its README says what).
    static let conflicts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/django-conflicts")
    /// Text, numbers and ids the service took through its API and bookcat's rules do not (its README lists them).
    static let edges = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/django-edges")
    static var databasePath: String { fixture.appendingPathComponent("db.sqlite3").path }

    struct Account {
        var email: String
        var username: String
        var password: String
        var role: String
    }

    /// `accounts.txt`: `email username password role`, the password being every word between.
    static func accounts(of fixture: URL = fixture) throws -> [Account] {
        try String(contentsOf: fixture.appendingPathComponent("accounts.txt"), encoding: .utf8).split(separator: "\n").map { line in
            let words = line.split(separator: " ").map(String.init)
            return Account(email: words[0], username: words[1], password: words[2..<(words.count - 1)].joined(separator: " "), role: words.last!)
        }
    }

    /// Runs `test` against a server over a store the fixture was imported into.
    static func withImported(
        _ fixture: URL = fixture,
        recountingStock: Bool = false,
        _ test: @Sendable (TestApp, CatalogFingerprint) async throws -> Void
    ) async throws {
        let folder = TemporaryFolder("django-import")
        defer { folder.remove() }
        let catalog = try DjangoCatalog(
            path: fixture.appendingPathComponent("db.sqlite3").path,
            importedAt: Date(),
            recountingStock: recountingStock
        )
        let fingerprint = FingerprintBox()
        let importing: @Sendable (any CatalogImporting) async throws -> Void = { target in
            fingerprint.value = try await CatalogCopy.copy(from: catalog, to: target)
        }
        // Django's hashes cost hundreds of thousands of PBKDF2 rounds each: on a loaded machine two at once can wait past
        // the default queue time. These tests are about what the import kept, not about that bound (which has its own).
        var configuration = TestApp.configuration()
        configuration.server.passwordQueueWaitMilliseconds = 120_000
        try await TestApp.run(
            databasePath: TestApp.StoreKind.configured == .sqlite ? folder.databasePath : nil,
            configuration: configuration,
            importing: importing
        ) { app in
            try await test(app, try #require(fingerprint.value))
        }
    }

    final class FingerprintBox: @unchecked Sendable {
        var value: CatalogFingerprint?
    }

    @Test func everyAccountLogsInWithItsDjangoPasswordByEmailAndByUsernameAndIsUpgradedToBcrypt() async throws {
        let accounts = try Self.accounts()
        #expect(accounts.count == 4)
        try await Self.withImported { app, fingerprint in
            #expect(fingerprint.summary == "user 4 · tag 5 · book 60 · book_tag 91 · loan 9 · refresh_token 0")
            for account in accounts {
                let before = try #require(try await app.store.users.user(email: account.email))
                #expect(before.passwordHash.hasPrefix("pbkdf2_sha256$870000$"), "imported as Django stored it")
                #expect(before.role == (account.role == "admin" ? .admin : .user))
                #expect(before.username == account.username)

                let byEmail = try await app.send(.post, "/api/v1/auth/login", json: ["email": account.email, "password": account.password])
                #expect(byEmail.status == .ok, "\(account.email): \(byEmail.text)")
                let after = try #require(try await app.store.users.user(email: account.email))
                #expect(after.passwordHash.hasPrefix("$2"), "stored as bcrypt after the first login")

                let byUsername = try await app.send(.post, "/api/v1/auth/login", json: ["username": account.username, "password": account.password])
                #expect(byUsername.status == .ok, "\(account.username): \(byUsername.text)")
                let wrong = try await app.send(.post, "/api/v1/auth/login", json: ["username": account.username, "password": account.password + "x"])
                #expect(wrong.status == .unauthorized)
            }
        }
    }

    @Test func twoFirstLoginsOfOneAccountAtOnceBothSucceed() async throws {
        let account = try #require(try Self.accounts().first)
        try await Self.withImported { app, _ in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        Int(
                            try await app.send(.post, "/api/v1/auth/login", json: ["email": account.email, "password": account.password]).status.code
                        )
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == [200, 200])
            #expect(try #require(try await app.store.users.user(email: account.email)).passwordHash.hasPrefix("$2"))
        }
    }

    struct ServiceBook: Sendable {
        var id: Int64, title: String, author: String, isbn: String, stock: Int, publishedAt: String
    }

    struct ServiceLoan: Sendable {
        var id: Int64, userID: Int64, bookID: Int64, quantity: Int, isReturned: Bool
    }

    /// The service's own rows, read straight from its database: what the import must reproduce.
    static func serviceRows() async throws -> (books: [ServiceBook], links: [(Int64, Int64)], loans: [ServiceLoan], tags: [(Int64, String)]) {
        var configuration = Configuration()
        configuration.readonly = true
        return try await DatabaseQueue(path: databasePath, configuration: configuration).read { db in
            (
                try Row.fetchAll(db, sql: "SELECT book_id, title, author, isbn, stock, published_at FROM book ORDER BY book_id").map {
                    ServiceBook(
                        id: $0["book_id"],
                        title: $0["title"],
                        author: $0["author"],
                        isbn: $0["isbn"],
                        stock: $0["stock"],
                        publishedAt: $0["published_at"]
                    )
                },
                try Row.fetchAll(db, sql: "SELECT book_id, tag_id FROM book_tag ORDER BY book_id, tag_id").map { ($0["book_id"], $0["tag_id"]) },
                try Row.fetchAll(db, sql: "SELECT loan_id, user_id, book_id, quantity, is_returned FROM loan ORDER BY loan_id").map {
                    ServiceLoan(
                        id: $0["loan_id"],
                        userID: $0["user_id"],
                        bookID: $0["book_id"],
                        quantity: $0["quantity"],
                        isReturned: $0["is_returned"]
                    )
                },
                try Row.fetchAll(db, sql: "SELECT tag_id, name FROM tag ORDER BY tag_id").map { ($0["tag_id"], $0["name"]) }
            )
        }
    }

    @Test func everyBookTagLinkAndLoanIsAsTheServiceHadThem() async throws {
        let (books, links, loans, tags) = try await Self.serviceRows()
        #expect((books.count, links.count, loans.count, tags.count) == (60, 91, 9, 5))
        try await Self.withImported { app, _ in
            let admin = try await app.send(
                .post,
                "/api/v1/auth/login",
                json: ["email": "librarian@example.org", "password": "Admin-pass-1!"]
            ).object().string("access_token")

            let served = try await app.send(.get, "/api/v1/tags", token: admin).array()
            #expect(served.map { $0["tag_id"] as? Int64 } == tags.map(\.0))
            #expect(served.map { $0["name"] as? String } == tags.map(\.1))

            for book in books {
                let body = try await app.send(.get, "/api/v1/books/\(book.id)", token: admin).object()
                #expect(body["title"] as? String == book.title)
                #expect(body["author"] as? String == book.author)
                #expect(body["isbn"] as? String == book.isbn)
                #expect(body["stock"] as? Int == book.stock)
                #expect(body["published_at"] as? String == book.publishedAt)
                let tagIDs = (body["tags"] as? [[String: Any]] ?? []).compactMap { $0["tag_id"] as? Int64 }
                #expect(tagIDs == links.filter { $0.0 == book.id }.map(\.1), "book \(book.id)")
            }

            let servedLoans = try await app.send(.get, "/api/v1/loans", token: admin).array()
                .sorted { ($0["loan_id"] as? Int64 ?? 0) < ($1["loan_id"] as? Int64 ?? 0) }
            #expect(servedLoans.count == loans.count)
            for (served, loan) in zip(servedLoans, loans) {
                #expect(served["loan_id"] as? Int64 == loan.id)
                #expect(served["user_id"] as? Int64 == loan.userID)
                #expect(served["book_id"] as? Int64 == loan.bookID)
                #expect(served["quantity"] as? Int == loan.quantity)
                #expect(served["is_returned"] as? Bool == loan.isReturned)
                #expect((served["returned_at"] is NSNull) == !loan.isReturned)
            }

            // New rows get ids after the imported ones.
            let tag = try await app.createTag("after the import", token: admin)
            #expect(tag > (tags.last?.0 ?? 0))
        }
    }

    @Test func recountingStockPutsEveryReturnedCopyBack() async throws {
        let (books, _, loans, _) = try await Self.serviceRows()
        let returned = loans.filter(\.isReturned)
        #expect(!returned.isEmpty)
        try await Self.withImported(recountingStock: true) { app, _ in
            for book in books {
                let copies = returned.filter { $0.bookID == book.id }.map(\.quantity).reduce(0, +)
                let stock = try await app.store.books.book(id: book.id)?.stock
                #expect(stock == book.stock + copies, "book \(book.id)")
            }
        }
    }

    @Test func aDatabaseThatIsNotTheServicesIsRefusedSayingWhatWasExpected() throws {
        let folder = TemporaryFolder("not-django")
        defer { folder.remove() }
        _ = try AppDatabase(path: folder.databasePath)
        let refusal = #expect(throws: DjangoCatalog.Refusal.self) {
            try DjangoCatalog(path: folder.databasePath, importedAt: Date(), recountingStock: false)
        }
        #expect(refusal?.description.contains("not the Django service's database") == true)
        #expect(refusal?.description.contains("loan(book_id, created_at, is_returned, loan_id") == true)
        #expect(throws: DjangoCatalog.Refusal.self) {
            try DjangoCatalog(path: folder.url.appendingPathComponent("missing.sqlite3").path, importedAt: Date(), recountingStock: false)
        }
    }

    @Test func aStoreThatHoldsAnAccountIsRefusedAndKeepsWhatItHad() async throws {
        let folder = TemporaryFolder("django-target")
        defer { folder.remove() }
        let catalog = try DjangoCatalog(path: Self.databasePath, importedAt: Date(), recountingStock: false)
        try await TestApp.run(databasePath: TestApp.StoreKind.configured == .sqlite ? folder.databasePath : nil) { app in
            _ = try await app.member()
            let target = try #require(app.importTarget)
            await #expect(throws: CatalogError.self) { try await CatalogCopy.copy(from: catalog, to: target) }
            #expect(try await app.store.users.allUsers().count == 1)
            #expect(try await app.store.books.page(BookListQuery.parse([])).totalCount == 0)
        }
    }

    @Test func aHashWithAbsurdIterationsIsRefusedWithoutBeingComputed() async throws {
        // 10⁹ rounds would hold a thread for minutes; the bound refuses it before any work.
        let crafted = "pbkdf2_sha256$1000000000$salt$" + Data(repeating: 7, count: 32).base64EncodedString()
        #expect(DjangoPasswordHash(crafted) == nil)
        #expect(DjangoPasswordHash("pbkdf2_sha256$870000$salt$" + Data(repeating: 7, count: 32).base64EncodedString()) != nil)
        #expect(DjangoPasswordHash("pbkdf2_sha256$-1$salt$" + Data(repeating: 7, count: 32).base64EncodedString()) == nil)
        #expect(DjangoPasswordHash("pbkdf2_sha256$870000$salt$short") == nil)
        try await TestApp.run { app in
            _ = try await app.store.users.create(NewUser(email: "crafted@example.org", username: "crafted", passwordHash: crafted, role: .user))
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "crafted@example.org", "password": "anything"])
            #expect(login.status == .unauthorized)
            #expect(try await app.send(.get, "/api/v1/common/health-check").status == .ok)
        }
    }
}
