import BookcatCore
import BookcatTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

@testable import BookcatApp
@testable import BookcatHTTP
@testable import BookcatSQLite

/// The second audit: one member's correct logins in a loop pushed a bystander's login from 0.4 to 5.4 s (each is a
/// bcrypt evaluation), and a refresh loop at 104/s added 1,037 token rows that were never deleted, each bumping the
/// session epoch every process shares. Sessions now cost what they are worth, and no more.
@Suite("Sessions cost what they are worth")
struct SessionCostTests {
    private func logIn(_ app: TestApp, _ name: String) async throws -> TestResponse {
        try await app.send(.post, "/api/v1/auth/login", json: ["email": "\(name)@example.org", "password": "member password 1"])
    }

    private func refresh(_ app: TestApp, _ token: String) async throws -> TestResponse {
        try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": token])
    }

    private func me(_ app: TestApp, _ token: String) async throws -> HTTPResponse.Status {
        try await app.send(.get, "/api/v1/users/me", token: token).status
    }

    @Test func correctLoginsAreCountedPerAccountSoOneMemberCannotSpendEveryonesPasswordChecks() async throws {
        let time = ManualWallClock()
        try await TestApp.run(clock: time.clock) { app in
            _ = try await app.member("grace")  // one login
            _ = try await app.member("ada")
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<11 { statuses.append(try await logIn(app, "grace").status) }
            #expect(statuses == Array(repeating: .ok, count: 9) + [.tooManyRequests, .tooManyRequests])
            let refused = try await logIn(app, "grace")
            let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect(wait > 0 && wait <= 60)
            #expect(try refused.problem()["type"] as? String == Problem.typePrefix + "too-many-logins")
            // Another account is not held up, and the account itself logs in again once the minute has passed.
            #expect(try await logIn(app, "ada").status == .ok)
            time.advance(by: 61)
            #expect(try await logIn(app, "grace").status == .ok)
        }
    }

    @Test func refreshesAreCountedPerAccount() async throws {
        let time = ManualWallClock()
        try await TestApp.run(clock: time.clock) { app in
            var token = try await app.member("grace").refreshToken
            let other = try await app.member("ada")
            for round in 1...10 {
                let rotated = try await refresh(app, token)
                #expect(rotated.status == .ok, "refresh \(round)")
                token = try rotated.object().string("refresh_token")
            }
            let refused = try await refresh(app, token)
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.problem()["type"] as? String == Problem.typePrefix + "too-many-refreshes")
            #expect(refused.headers[.retryAfter].flatMap { Int($0) }.map { $0 > 0 && $0 <= 60 } == true)
            #expect(try await refresh(app, other.refreshToken).status == .ok)
            // Refused, not spent: the token still works once the minute has passed.
            time.advance(by: 61)
            #expect(try await refresh(app, token).status == .ok)
        }
    }

    @Test func aRefreshEndsNoSessionSoEveryProcessKeepsWhatItRemembers() async throws {
        try await TestApp.run { app in
            let session = try await app.member("grace")
            let before = try await app.store.versions.storeVersions().sessions
            let rotated = try await refresh(app, session.refreshToken).object()
            #expect(try await app.store.versions.storeVersions().sessions == before)
            let logout = try await app.send(
                .post,
                "/api/v1/auth/logout",
                token: try rotated.string("access_token"),
                json: ["refresh_token": try rotated.string("refresh_token")]
            )
            #expect(logout.status == .noContent)
            #expect(try await app.store.versions.storeVersions().sessions > before)
        }
    }

    /// Reuse of a token this old is refused without ending the session (its row is gone); reuse of a recent one
    /// still ends it.
    @Test func aLongSessionKeepsOnlyItsNewestUsedTokens() async throws {
        var configuration = TestApp.configuration()
        configuration.loginLimits.refreshesPerAccount = 1_000
        configuration.server.refreshReuseGrace = 1
        let time = ManualWallClock()
        try await TestApp.run(configuration: configuration, clock: time.clock) { app in
            let first = try await app.member("grace")
            var tokens = [first.refreshToken]
            var access = first.accessToken
            for _ in 0..<40 {
                time.advance(by: 2)
                let rotated = try await refresh(app, tokens.last!).object()
                tokens.append(try rotated.string("refresh_token"))
                access = try rotated.string("access_token")
            }
            if let database = app.database {
                let rows = try await database.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM refresh_token") }
                #expect(rows == 16 + 1)
            }
            time.advance(by: 2)
            #expect(try await refresh(app, tokens[0]).status == .unauthorized)
            #expect(try await me(app, access) == .ok, "reuse of a forgotten token ended the session")
            #expect(try await refresh(app, tokens[tokens.count - 3]).status == .unauthorized)
            #expect(try await me(app, access) == .unauthorized, "reuse of a recent token left the session alive")
        }
    }

    @Test func theSweepDeletesExpiredAndRevokedTokensAndEndsNoLiveSession() async throws {
        let time = ManualWallClock()
        try await TestApp.run(clock: time.clock) { app in
            let expiring = try await app.member("expiring")
            _ = try await refresh(app, expiring.refreshToken)
            time.advance(by: TimeInterval(app.configuration.server.refreshTokenTTL) + 1)
            let loggedOut = try await app.member("leaving")
            let logout = try await app.send(
                .post,
                "/api/v1/auth/logout",
                token: loggedOut.accessToken,
                json: ["refresh_token": loggedOut.refreshToken]
            )
            #expect(logout.status == .noContent)
            let live = try await app.member("staying")
            let epoch = try await app.store.versions.storeVersions().sessions
            var logger = Logger(label: "sweep-test")
            logger.logLevel = .critical
            let sweeper = RefreshTokenSweeper(tokens: app.store.refreshTokens, clock: time.clock, logger: logger, batch: 2)
            // Two expired (the login's and its successor), one revoked; in batches of two.
            #expect(await sweeper.sweep() == 3)
            #expect(await sweeper.sweep() == 0)
            #expect(try await app.store.versions.storeVersions().sessions == epoch)
            #expect(try await me(app, live.accessToken) == .ok)
            #expect(try await refresh(app, live.refreshToken).status == .ok)
        }
    }
}
