import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatServer

/// The audit: access tokens kept working after logout and after a password change, and a retried refresh logged
/// the client out. A login is a session; ending it ends its access tokens at once.
@Suite("Sessions end")
struct SessionTests {
    private func me(_ app: TestApp, _ token: String) async throws -> HTTPResponse.Status {
        try await app.send(.get, "/api/v1/users/me", token: token).status
    }

    private func refresh(_ app: TestApp, _ token: String) async throws -> TestResponse {
        try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": token])
    }

    @Test func logoutEndsThatSessionsAccessTokensAndNoOther() async throws {
        try await TestApp.run { app in
            let phone = try await app.member("grace")
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "grace@example.org", "password": "member password 1"])
            let laptop = try login.object()
            let logout = try await app.send(.post, "/api/v1/auth/logout", token: phone.accessToken, json: ["refresh_token": phone.refreshToken])
            #expect(logout.status == .noContent)
            #expect(try await me(app, phone.accessToken) == .unauthorized)
            #expect(try await me(app, try laptop.string("access_token")) == .ok)
            #expect(try await refresh(app, try laptop.string("refresh_token")).status == .ok)
        }
    }

    @Test func aPasswordChangeEndsEverySessionOfTheAccount() async throws {
        try await TestApp.run { app in
            let phone = try await app.member("grace")
            let laptop = try await app.send(.post, "/api/v1/auth/login", json: ["email": "grace@example.org", "password": "member password 1"])
                .object()
            let other = try await app.member("ada")
            let change = try await app.changePassword(token: phone.accessToken, from: "member password 1", to: "new password 2")
            #expect(change.status == .ok)
            #expect(try await me(app, phone.accessToken) == .unauthorized)
            #expect(try await me(app, try laptop.string("access_token")) == .unauthorized)
            #expect(try await refresh(app, try laptop.string("refresh_token")).status == .unauthorized)
            #expect(try await me(app, other.accessToken) == .ok)
            let again = try await app.send(.post, "/api/v1/auth/login", json: ["email": "grace@example.org", "password": "new password 2"])
            #expect(try await me(app, try again.object().string("access_token")) == .ok)
        }
    }

    @Test func deletingTheAccountEndsItsSessions() async throws {
        try await TestApp.run { app in
            let session = try await app.member("grace")
            let delete = try await app.send(.delete, "/api/v1/users/me", token: session.accessToken, json: ["password": "member password 1"])
            #expect(delete.status == .noContent)
            #expect(try await me(app, session.accessToken) == .unauthorized)
            #expect(try await refresh(app, session.refreshToken).status == .unauthorized)
        }
    }

    /// The audit: 200 concurrent refreshes with one token gave one 200, then the winner's token was revoked too.
    /// Within the grace window every retry gets a working pair.
    @Test func concurrentRefreshesWithOneTokenAllGetWorkingPairs() async throws {
        try await TestApp.run(.live) { app in
            let session = try await app.member("grace")
            let pairs = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let pair = try await refresh(app, session.refreshToken).object()
                        return [try pair.string("access_token"), try pair.string("refresh_token")]
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            #expect(pairs.count == 50)
            for pair in pairs.prefix(5) {
                #expect(try await me(app, pair[0]) == .ok)
                #expect(try await refresh(app, pair[1]).status == .ok)
            }
        }
    }

    /// A refresh token works until its lifetime ends and not a second longer, and an expired one is not rotated.
    @Test func anExpiredRefreshTokenIsNotRotated() async throws {
        let time = ManualWallClock()
        try await TestApp.run(clock: time.clock) { app in
            let session = try await app.member("expiring")
            time.advance(by: TimeInterval(app.configuration.refreshTokenTTL) - 1)
            let rotated = try await refresh(app, session.refreshToken)
            #expect(rotated.status == .ok)
            let successor = try rotated.object().string("refresh_token")
            time.advance(by: TimeInterval(app.configuration.refreshTokenTTL) + 1)
            let expired = try await refresh(app, successor)
            #expect(expired.status == .unauthorized)
            #expect(try expired.problem()["detail"] as? String == "the refresh token is invalid, expired or already used")
        }
    }

    /// After the window, presenting a used refresh token is theft: the whole session ends, access tokens included.
    @Test func reuseAfterTheGraceWindowEndsTheSession() async throws {
        var configuration = TestApp.configuration()
        configuration.refreshReuseGrace = 1
        let time = ManualWallClock()
        try await TestApp.run(configuration: configuration, clock: time.clock) { app in
            let session = try await app.member("grace")
            let rotated = try await refresh(app, session.refreshToken).object()
            #expect(try await refresh(app, session.refreshToken).status == .ok)
            time.advance(by: 1.2)
            #expect(try await refresh(app, session.refreshToken).status == .unauthorized)
            #expect(try await me(app, try rotated.string("access_token")) == .unauthorized)
            #expect(try await me(app, session.accessToken) == .unauthorized)
            #expect(try await refresh(app, try rotated.string("refresh_token")).status == .unauthorized)
        }
    }
}
