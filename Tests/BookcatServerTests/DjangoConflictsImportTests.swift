import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp

/// `bookcat import-django` on a database the Django service made through its own API holding what it allowed and
/// bookcat's rules do not (`Fixtures/django-conflicts`): e-mails that differ only in case, one username three times
/// (twice exactly, once in another case), accounts without usernames beside one that took the name theirs derive to,
/// tag names repeated, tags its bugs made. The import takes it, every account logs in with its real password, and
/// every change is in the report. On the store the suite runs on (SQLite, and PostgreSQL in the second pass).
@Suite struct DjangoConflictsImportTests {
    static var databasePath: String { DjangoImportTests.conflicts.appendingPathComponent("db.sqlite3").path }

    /// Each account by its e-mail and by its username as the import left them, with the password it really has.
    @Test func everyAccountLogsInWithItsRealPasswordByItsEMailAndItsUsername() async throws {
        let accounts = try DjangoImportTests.accounts(of: DjangoImportTests.conflicts)
        #expect(accounts.count == 11)
        let catalog = try DjangoCatalog(path: Self.databasePath, importedAt: Date(), recountingStock: false)
        let imported = Dictionary(uniqueKeysWithValues: catalog.users.map { ($0.id, $0) })
        // What the report promises for the conflicting ones; ids are the line numbers of accounts.txt.
        #expect(imported[5]?.email == "bob@example.org")
        #expect(imported[6]?.email == "bob+6@example.org")
        #expect(imported[7]?.username == "twin")
        #expect(imported[8]?.username == "twin-8")
        #expect(imported[9]?.username == "Twin-9")
        #expect(imported[11]?.username == "ada")
        #expect(imported[2]?.username == "ada-2")
        #expect(imported[3]?.username == "ada-3")
        #expect(Set(catalog.users.map(\.usernameKey)).count == 11, "every username its own, look-alikes too")
        #expect(Set(catalog.users.map(\.email)).count == 11)
        try await DjangoImportTests.withImported(DjangoImportTests.conflicts) { app, fingerprint in
            #expect(fingerprint.summary.hasPrefix("user 11 · tag 3 · book 6 · book_tag 3 · loan 3"))
            for (index, account) in accounts.enumerated() {
                let user = try #require(imported[Int64(index + 1)])
                let byEmail = try await app.send(.post, "/api/v1/auth/login", json: ["email": user.email, "password": account.password])
                #expect(byEmail.status == .ok, "\(account.email) as \(user.email): \(byEmail.text)")
                let byUsername = try await app.send(.post, "/api/v1/auth/login", json: ["username": user.username, "password": account.password])
                #expect(byUsername.status == .ok, "\(account.username) as \(user.username): \(byUsername.text)")
            }
        }
    }

    /// Tags whose names differ only in case are one tag, links and all; the tag the service's PUT named
    /// `{'tag_id': 4}` is tag 4; the empty name it made is `tag-999`; the link to a deleted tag is not imported.
    @Test func repeatedAndBrokenTagsAreMergedOrRenamedWithTheirLinks() async throws {
        try await DjangoImportTests.withImported(DjangoImportTests.conflicts) { app, _ in
            let tags = try await app.store.tags.allTags()
            #expect(tags.map(\.id) == [1, 4, 999])
            #expect(tags.map(\.name) == ["fiction", "poetry", "tag-999"])
            #expect(try await app.store.books.book(id: 1)?.tags.map(\.id) == [4])
            #expect(try await app.store.books.book(id: 6)?.tags.map(\.id) == [4])
            #expect(try await app.store.books.book(id: 2)?.tags.map(\.id) == [999])
            #expect(try await app.store.books.book(id: 3)?.tags.map(\.id) == [])
        }
    }

    /// The service's edge rows (`Fixtures/django-edges`): e-mails JSON Schema refuses, usernames of a tab, an emoji or
    /// one letter, passwords of 100 and 300 bytes or with a tab, tags of ids 0 and -5, a title with a newline, a
    /// stock of 2³¹ − 1.5 million, a loan of 0 copies. Nothing is refused; every account logs in with its real
    /// password by the username the import left it; the tags get ids the API can name, links and all.
    @Test func everyEdgeTheServiceAllowedIsTakenAndEveryAccountLogsIn() async throws {
        let accounts = try DjangoImportTests.accounts(of: DjangoImportTests.edges)
        #expect(accounts.count == 19)
        let catalog = try DjangoCatalog(
            path: DjangoImportTests.edges.appendingPathComponent("db.sqlite3").path,
            importedAt: Date(),
            recountingStock: false
        )
        #expect(catalog.findings.refused == [])
        let imported = Dictionary(uniqueKeysWithValues: catalog.users.map { ($0.id, $0) })
        #expect(imported[9]?.email == "user-9@django-import.invalid")
        #expect(imported[3]?.username == "tab")
        try await DjangoImportTests.withImported(DjangoImportTests.edges) { app, fingerprint in
            #expect(fingerprint.summary.hasPrefix("user 19 · tag 9 · book 4 · book_tag 9 · loan 2"))
            for (index, account) in accounts.enumerated() {
                let user = try #require(imported[Int64(index + 1)])
                let login = try await app.send(.post, "/api/v1/auth/login", json: ["username": user.username, "password": account.password])
                #expect(login.status == .ok, "user \(index + 1) as \(user.username): \(login.text)")
            }
            let tags = try await app.store.tags.allTags()
            #expect(tags.allSatisfy { $0.id >= 1 }, "\(tags)")
            #expect(try await app.store.books.book(id: 4)?.tags.map(\.id) == [8, 9])
            #expect(try await app.store.books.book(id: 2)?.title == "Line break")
            #expect(try await app.store.books.book(id: 3)?.stock == 2_145_983_648)
        }
    }

    /// `--check` writes nothing and names every row with what the import does about it; the import says the same.
    @Test func theCheckListsEveryChangeByRowAndTheAccountsFirstLogins() throws {
        let (lines, importable) = try DjangoImport.check(path: Self.databasePath, recountingStock: false)
        #expect(importable)
        let text = lines.joined(separator: "\n")
        for expected in [
            #"user 6: e-mail "bob@example.org" is an older account's regardless of case: now "bob+6@example.org""#,
            #"user 8: username "twin" is an older account's, or looks the same: renamed "twin-8""#,
            #"user 9: username "Twin" is an older account's, or looks the same: renamed "Twin-9""#,
            #"user 2: no username: now "ada-2", from the e-mail"#,
            #"tag 3 "Fiction" has tag 1's name regardless of case: merged into tag 1"#,
            #"tag 1000 is named "{'tag_id': 4}", the service's text for a tag object: merged into tag 4"#,
            #"tag 999 named "" breaks bookcat's rules: renamed "tag-999""#,
            "book_tag 5: links a book to no tag (the service deleted it): not imported",
            "11 accounts log in with their password as it is",
        ] {
            #expect(text.contains(expected), "missing: \(expected)\nin:\n\(text)")
        }
    }
}
