import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Signup, login and tokens")
struct AuthTests {
    @Test func signupCreatesAMemberAndHidesThePassword() async throws {
        try await TestApp.run { app in
            let response = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "Ada@Example.org", "username": "ada", "password": "lovelace 1815"]
            )
            #expect(response.status == .created)
            let body = try response.object()
            #expect(try body.string("email") == "ada@example.org")
            #expect(try body.string("username") == "ada")
            #expect(try body.string("role") == "user")
            #expect(body["created_at"] is String)
            #expect(body["password"] == nil && body["password_hash"] == nil)
            #expect(response.headers[.location] == "/api/v1/users/\(try body.int("user_id"))")
        }
    }

    @Test func emailsAreUniqueRegardlessOfCase() async throws {
        try await TestApp.run { app in
            _ = try await app.send(.post, "/api/v1/users", json: ["email": "ada@example.org", "username": "ada", "password": "lovelace 1815"])
            let again = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "ADA@example.org", "username": "ada2", "password": "lovelace 1815"]
            )
            #expect(again.status == .conflict)
            #expect(try again.problem()["detail"] as? String == "email is already registered")
        }
    }

    @Test(arguments: [
        (["email": "not-an-email", "username": "ada", "password": "lovelace 1815"], "email"),
        (["email": "ada@example.org", "username": "a", "password": "lovelace 1815"], "username"),
        (["email": "ada@example.org", "username": "ada", "password": "short"], "password"),
        (["email": "ada@example.org", "username": "ada", "password": "1234567890"], "password"),
        (["email": "ada@example.org", "username": "ada", "password": String(repeating: "x", count: 73)], "password"),
        (["email": "ada@example.org", "username": "ada"], "password"),
    ])
    func invalidSignupsAreRejectedNamingTheField(body: [String: String], field: String) async throws {
        try await TestApp.run { app in
            let response = try await app.send(.post, "/api/v1/users", json: body)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields().contains(field))
            #expect(try await app.store.users.allUsers().isEmpty)
        }
    }

    @Test func loginWorksWithEmailOrUsername() async throws {
        try await TestApp.run { app in
            _ = try await app.member("grace")
            for credentials in [["email": "GRACE@example.org"], ["username": "grace"]] {
                let response = try await app.send(
                    .post,
                    "/api/v1/auth/login",
                    json: credentials.merging(["password": "member password 1"]) { a, _ in a }
                )
                #expect(response.status == .ok)
                let body = try response.object()
                #expect(try body.string("token_type") == "Bearer")
                #expect(try body.int("expires_in") == 900)
                let me = try await app.send(.get, "/api/v1/users/me", token: try body.string("access_token"))
                #expect(try me.object().string("username") == "grace")
            }
        }
    }

    @Test func wrongPasswordAndUnknownAccountLookTheSame() async throws {
        try await TestApp.run { app in
            _ = try await app.member("grace")
            let wrong = try await app.send(.post, "/api/v1/auth/login", json: ["email": "grace@example.org", "password": "not the password"])
            let unknown = try await app.send(.post, "/api/v1/auth/login", json: ["email": "nobody@example.org", "password": "not the password"])
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(try wrong.problem()["detail"] as? String == unknown.problem()["detail"] as? String)
        }
    }

    @Test func loginNeedsExactlyOneIdentifier() async throws {
        try await TestApp.run { app in
            let both = try await app.send(.post, "/api/v1/auth/login", json: ["email": "a@example.org", "username": "a", "password": "whatever1"])
            #expect(both.status == .badRequest)
            let neither = try await app.send(.post, "/api/v1/auth/login", json: ["password": "whatever1"])
            #expect(neither.status == .badRequest)
        }
    }

    @Test func unicodePasswordsVerifyWhateverTheNormalisation() async throws {
        try await TestApp.run { app in
            _ = try await app.send(.post, "/api/v1/users", json: ["email": "zoe@example.org", "username": "zoe", "password": "caf\u{e9} cr\u{e8}me"])
            let decomposed = try await app.send(
                .post,
                "/api/v1/auth/login",
                json: ["email": "zoe@example.org", "password": "cafe\u{301} cre\u{300}me"]
            )
            #expect(decomposed.status == .ok)
        }
    }

    /// With no grace window (`REFRESH_REUSE_GRACE=0`); the window has its own tests in SessionTests.
    @Test func refreshRotatesAndEachRefreshTokenWorksOnce() async throws {
        var configuration = TestApp.configuration()
        configuration.server.refreshReuseGrace = 0
        try await TestApp.run(configuration: configuration) { app in
            let session = try await app.member()
            let first = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": session.refreshToken])
            #expect(first.status == .ok)
            let rotated = try first.object()
            #expect(try rotated.string("refresh_token") != session.refreshToken)
            let me = try await app.send(.get, "/api/v1/users/me", token: try rotated.string("access_token"))
            #expect(me.status == .ok)

            let replay = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": session.refreshToken])
            #expect(replay.status == .unauthorized)
            // The replay gave the theft away: the token issued by the rotation is revoked as well.
            let successor = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": try rotated.string("refresh_token")])
            #expect(successor.status == .unauthorized)
        }
    }

    /// The second audit: token responses carried no Cache-Control, so a shared cache or a browser could keep them.
    @Test func tokenResponsesMayNotBeStored() async throws {
        try await TestApp.run { app in
            let session = try await app.member("grace")
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "grace@example.org", "password": "member password 1"])
            let refresh = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": session.refreshToken])
            for response in [login, refresh] {
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let logout = try await app.send(.post, "/api/v1/auth/logout", token: session.accessToken, json: ["refresh_token": session.refreshToken])
            #expect(logout.status == .noContent)
            let refresh = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": session.refreshToken])
            #expect(refresh.status == .unauthorized)
        }
    }

    @Test func logoutRejectsAnotherAccountsToken() async throws {
        try await TestApp.run { app in
            let mine = try await app.member("mine")
            let theirs = try await app.member("theirs")
            let logout = try await app.send(.post, "/api/v1/auth/logout", token: mine.accessToken, json: ["refresh_token": theirs.refreshToken])
            #expect(logout.status == .forbidden)
            let stillWorks = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": theirs.refreshToken])
            #expect(stillWorks.status == .ok)
        }
    }

    @Test func tokenKindsCannotBeSwapped() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let refreshAsAccess = try await app.send(.get, "/api/v1/users/me", token: session.refreshToken)
            #expect(refreshAsAccess.status == .unauthorized)
            let accessAsRefresh = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": session.accessToken])
            #expect(accessAsRefresh.status == .unauthorized)
        }
    }

    @Test func forgedAndMalformedTokensAreRejected() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let parts = session.accessToken.split(separator: ".").map(String.init)
            let noneHeader = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            // Flip the first signature character: the last one also carries padding bits, so changing it may not
            // change the decoded signature at all.
            let flipped = parts[2].first == "A" ? "B" : "A"
            let candidates = [
                "\(noneHeader).\(parts[1]).",
                "\(parts[0]).\(parts[1]).\(flipped)\(parts[2].dropFirst())",
                "\(parts[0]).\(parts[1].first == "e" ? "f" : "e")\(parts[1].dropFirst()).\(parts[2])",
                "garbage",
                "",
            ]
            for token in candidates {
                let response = try await app.send(.get, "/api/v1/users/me", headers: [.authorization: "Bearer \(token)"])
                #expect(response.status == .unauthorized, "token \(token.prefix(30)) was accepted")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                _ = try response.problem()
            }
        }
    }

    @Test func tokensSignedWithAnotherAlgorithmOrKeyAreRejected() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let otherAlgorithm = await TokenService(secret: TestApp.secret, algorithm: .hs512, accessTTL: 900, refreshTTL: 900)
            let otherKey = await TokenService(secret: "another secret that is long enough!!", algorithm: .hs256, accessTTL: 900, refreshTTL: 900)
            for service in [otherAlgorithm, otherKey] {
                let token = try await service.accessToken(for: session.userID, session: try session.sessionID)
                let response = try await app.send(.get, "/api/v1/users/me", token: token)
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func expiredTokensAreRejected() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let service = await TokenService(secret: TestApp.secret, algorithm: .hs256, accessTTL: 60, refreshTTL: 60)
            let expired = try await service.accessToken(for: session.userID, session: try session.sessionID, now: Date().addingTimeInterval(-120))
            #expect(try await app.send(.get, "/api/v1/users/me", token: expired).status == .unauthorized)
            let valid = try await service.accessToken(for: session.userID, session: try session.sessionID)
            #expect(try await app.send(.get, "/api/v1/users/me", token: valid).status == .ok)
        }
    }

    @Test func authorizationHeaderMustUseTheConfiguredSchemeOnce() async throws {
        var configuration = TestApp.configuration()
        configuration.server.authScheme = "JWT"
        try await TestApp.run(configuration: configuration) { app in
            let session = try await app.member()
            let bearer = try await app.send(.get, "/api/v1/users/me", headers: [.authorization: "Bearer \(session.accessToken)"])
            #expect(bearer.status == .unauthorized)
            let jwt = try await app.send(.get, "/api/v1/users/me", headers: [.authorization: "JWT \(session.accessToken)"])
            #expect(jwt.status == .ok)
            var twice = HTTPFields()
            twice.append(HTTPField(name: .authorization, value: "JWT \(session.accessToken)"))
            twice.append(HTTPField(name: .authorization, value: "JWT \(session.accessToken)"))
            #expect(try await app.send(.get, "/api/v1/users/me", headers: twice).status == .unauthorized)
            #expect(try await app.send(.get, "/api/v1/users/me").status == .unauthorized)
        }
    }

    @Test func tokensOfADeletedAccountStopWorking() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let delete = try await app.send(.delete, "/api/v1/users/me", token: session.accessToken, json: ["password": "member password 1"])
            #expect(delete.status == .noContent)
            #expect(try await app.send(.get, "/api/v1/users/me", token: session.accessToken).status == .unauthorized)
            #expect(try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": session.refreshToken]).status == .unauthorized)
        }
    }
}

@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    @Test func aCachedTokenStillExpiresOnTime() async throws {
        let time = ManualWallClock()
        let service = await TokenService(secret: TestApp.secret, algorithm: .hs256, accessTTL: 60, refreshTTL: 60, clock: time.clock)
        let token = try await service.accessToken(for: 7, session: "session-7")
        time.advance(by: 59)
        #expect(await service.verify(token, as: .access)?.userID == 7)
        #expect(await service.verify(token, as: .refresh) == nil)
        // Now only the cached claims can answer: the expiry must still be checked against the clock.
        time.advance(by: 2)
        #expect(await service.verify(token, as: .access) == nil)
    }
}
