import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOPosix
import Testing

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Accounts and the permission matrix")
struct UserTests {
    @Test func onlyAdminsListEveryAccount() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let member = try await app.member()
            #expect(try await app.send(.get, "/api/v1/users", token: member.accessToken).status == .forbidden)
            let list = try await app.send(.get, "/api/v1/users", token: admin.accessToken)
            #expect(list.status == .ok)
            #expect(try list.array().map { $0["username"] as? String } == ["admin", "member"])
        }
    }

    @Test func accountsAreVisibleToThemselvesAndAdminsOnly() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let alice = try await app.member("alice")
            let bob = try await app.member("bob")
            #expect(try await app.send(.get, "/api/v1/users/\(alice.userID)", token: alice.accessToken).status == .ok)
            #expect(try await app.send(.get, "/api/v1/users/\(alice.userID)", token: admin.accessToken).status == .ok)
            #expect(try await app.send(.get, "/api/v1/users/\(alice.userID)", token: bob.accessToken).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/users/999", token: admin.accessToken).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/users/abc", token: admin.accessToken).status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/users/me").status == .unauthorized)
        }
    }

    @Test func changingTheUsername() async throws {
        try await TestApp.run { app in
            let alice = try await app.member("alice")
            _ = try await app.member("bob")
            let renamed = try await app.send(.patch, "/api/v1/users/me", token: alice.accessToken, json: ["username": "alice2"])
            #expect(try renamed.object().string("username") == "alice2")
            let taken = try await app.send(.patch, "/api/v1/users/me", token: alice.accessToken, json: ["username": "BOB"])
            #expect(taken.status == .conflict)
        }
    }

    @Test func changingThePasswordNeedsTheCurrentOneAndEndsSessions() async throws {
        try await TestApp.run { app in
            let alice = try await app.member("alice")
            let missing = try await app.send(.patch, "/api/v1/users/me", token: alice.accessToken, json: ["password": "new password 2"])
            #expect(missing.status == .badRequest)
            #expect(try missing.problemFields() == ["current_password"])
            let wrong = try await app.changePassword(token: alice.accessToken, from: "nope nope", to: "new password 2")
            #expect(wrong.status == .forbidden)

            let changed = try await app.changePassword(token: alice.accessToken, from: "member password 1", to: "new password 2")
            #expect(changed.status == .ok)
            #expect(try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": alice.refreshToken]).status == .unauthorized)
            let old = try await app.send(.post, "/api/v1/auth/login", json: ["email": "alice@example.org", "password": "member password 1"])
            #expect(old.status == .unauthorized)
            let new = try await app.send(.post, "/api/v1/auth/login", json: ["email": "alice@example.org", "password": "new password 2"])
            #expect(new.status == .ok)
        }
    }

    @Test func anEmptyPatchIsRejected() async throws {
        try await TestApp.run { app in
            let alice = try await app.member("alice")
            #expect(try await app.send(.patch, "/api/v1/users/me", token: alice.accessToken, json: [String: String]()).status == .badRequest)
        }
    }

    @Test func deletingTheAccountNeedsThePassword() async throws {
        try await TestApp.run { app in
            let alice = try await app.member("alice")
            let wrong = try await app.send(.delete, "/api/v1/users/me", token: alice.accessToken, json: ["password": "wrong password"])
            #expect(wrong.status == .forbidden)
            #expect(try await app.store.users.user(id: alice.userID) != nil)
            let right = try await app.send(.delete, "/api/v1/users/me", token: alice.accessToken, json: ["password": "member password 1"])
            #expect(right.status == .noContent)
            #expect(try await app.store.users.user(id: alice.userID) == nil)
        }
    }

    @Test func anAccountWithBooksOnLoanCannotBeDeleted() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let alice = try await app.member("alice")
            let book = try await app.createBook(token: admin.accessToken)
            _ = try await app.send(.post, "/api/v1/loans", token: alice.accessToken, json: ["book_id": book["book_id"]!, "quantity": 1])
            let delete = try await app.send(.delete, "/api/v1/users/me", token: alice.accessToken, json: ["password": "member password 1"])
            #expect(delete.status == .conflict)
        }
    }

    /// The audit: bcrypt ran before the uniqueness check, so a taken e-mail cost a pool thread a full hash. With a
    /// hasher whose thread pool never started, hashing fails: a conflict proves the check came first.
    /// The audit: `аdmin` (Cyrillic а), `ädmin` and `ÄDMIN` registered as accounts separate from `admin`; the second
    /// audit: `ɑdmin` (Latin alpha), `ꓮꓓꓟꓲꓠ` (Lisu) and `Ꭺdmin` (Cherokee) still did.
    @Test(arguments: ["аdmin", "ädmin", "ÄDMIN", "ａｄｍｉｎ", "Admin", "ɑdmin", "ꓮꓓꓟꓲꓠ", "Ꭺdmin", "ᴀdmin"])
    func lookAlikeUsernamesAreTheSameAccount(lookAlike: String) async throws {
        try await TestApp.run { app in
            _ = try await app.admin()
            let signup = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "other@example.org", "username": lookAlike, "password": "member password 1"]
            )
            #expect(signup.status == .conflict)
            #expect(try await app.store.users.user(email: "other@example.org") == nil)
            // Logging in by the look-alike reaches the one account it resembles.
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["username": lookAlike, "password": TestApp.adminPassword])
            #expect(login.status == .ok)
            let member = try await app.member("grace")
            let rename = try await app.send(.patch, "/api/v1/users/me", token: member.accessToken, json: ["username": lookAlike])
            #expect(rename.status == .conflict)
        }
    }

    /// The second audit: a username equal to another account's e-mail registered, so a sign-in page could show
    /// one account under another's address. Neither may be the other's.
    @Test func aUsernameMayNotBeAnotherAccountsEmailNorTheOtherWayRound() async throws {
        try await TestApp.run { app in
            let grace = try await app.member("grace")
            let asEmail = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "other@example.org", "username": "Grace@Example.org", "password": "member password 1"]
            )
            #expect(asEmail.status == .conflict)
            let ada = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "ada@example.org", "username": "ada.l", "password": "member password 1"]
            )
            #expect(ada.status == .created)
            let rename = try await app.send(.patch, "/api/v1/users/me", token: grace.accessToken, json: ["username": "ada@example.org"])
            #expect(rename.status == .conflict)
            // An e-mail that is another account's username (usernames may contain @ and .).
            _ = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "x@example.org", "username": "ed@mail.org", "password": "member password 1"]
            )
            let taken = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "ED@mail.org", "username": "eddie", "password": "member password 1"]
            )
            #expect(taken.status == .conflict)
            // One's own e-mail as one's username is fine.
            let own = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "me@example.org", "username": "me@example.org", "password": "member password 1"]
            )
            #expect(own.status == .created)
        }
    }

    @Test func aTakenNameIsRefusedBeforeAnyPasswordIsHashed() async throws {
        try await TestApp.run { app in
            _ = try await app.member("grace")
            let idlePool = NIOThreadPool(numberOfThreads: 1)
            let registrar = AccountRegistrar(users: app.store.users, hasher: PasswordHasher(cost: 4, work: PasswordWork(pool: idlePool)))
            for (email, username) in [("grace@example.org", "someone"), ("someone@example.org", "Grace")] {
                await #expect(throws: CatalogError.self) {
                    _ = try await registrar.register(email: email, username: username, password: "a fine password", role: .user)
                }
            }
            // A free name does reach the hasher, and fails there (an inactive pool cancels the work).
            await #expect(throws: CancellationError.self) {
                _ = try await registrar.register(email: "new@example.org", username: "newcomer", password: "a fine password", role: .user)
            }
        }
    }
}
