import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// Cached reads trust a session the process remembers instead of asking the store on every hit (#12). That must
/// not cost the guarantee that an ended session stops at once, on every process.
@Suite("Remembered sessions")
struct RememberedSessionTests {
    enum Ending: String, CaseIterable {
        case logout, passwordChange, accountDeletion
    }

    private func end(_ session: TestApp.Session, by ending: Ending, on app: TestApp) async throws {
        let response =
            switch ending {
            case .logout:
                try await app.send(.post, "/api/v1/auth/logout", token: session.accessToken, json: ["refresh_token": session.refreshToken])
            case .passwordChange:
                try await app.changePassword(token: session.accessToken, from: "member password 1", to: "new password 2")
            case .accountDeletion:
                try await app.send(.delete, "/api/v1/users/me", token: session.accessToken, json: ["password": "member password 1"])
            }
        #expect(response.status.kind == .successful, "\(ending): \(response.status)")
    }

    /// Two instances on one database and one Redis: the second remembers the session and serves cache hits for
    /// it; the first ends it. The second's very next cached read must refuse, hit or not.
    @Test(arguments: Ending.allCases)
    func aSessionEndedOnOneInstanceStopsAtOnceOnAnother(ending: Ending) async throws {
        try await TestApp.runTwoInstances { first, second in
            let grace = try await first.member("grace")
            let ada = try await first.member("ada")
            for path in ["/api/v1/books", "/api/v1/tags"] {
                _ = try await second.send(.get, path, token: grace.accessToken)
                let warm = try await second.send(.get, path, token: grace.accessToken)
                #expect(warm.status == .ok && warm.cacheOutcome == "HIT")
            }
            try await end(grace, by: ending, on: first)
            for path in ["/api/v1/books", "/api/v1/tags"] {
                let after = try await second.send(.get, path, token: grace.accessToken)
                #expect(after.status == .unauthorized, "\(path) after \(ending)")
            }
            // Another account's session is untouched, and its hits go on.
            let other = try await second.send(.get, "/api/v1/books", token: ada.accessToken)
            #expect(other.status == .ok && other.cacheOutcome == "HIT")
        }
    }

    /// With Redis down the cache cannot vouch for anything: a remembered session is confirmed by the store.
    @Test func withoutTheCacheTheStoreDecides() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cache: redis.responseCache()) { app in
                let grace = try await app.member("grace")
                for _ in 0..<2 { _ = try await app.send(.get, "/api/v1/books", token: grace.accessToken) }
                redis.stop()
                try await end(grace, by: .logout, on: app)
                let after = try await app.send(.get, "/api/v1/books", token: grace.accessToken)
                #expect(after.status == .unauthorized)
            }
        }
    }

    /// Only the cached reads accept a remembered session; a route that acts on the account asks the store. A role
    /// is part of what is remembered, so a demotion must reach the cached reads' bypass decision too.
    @Test func aRouteThatActsAsksTheStore() async throws {
        try await TestApp.runTwoInstances { first, second in
            let grace = try await first.member("grace")
            _ = try await second.send(.get, "/api/v1/books", token: grace.accessToken)
            try await end(grace, by: .logout, on: first)
            #expect(try await second.send(.get, "/api/v1/users/me", token: grace.accessToken).status == .unauthorized)
            #expect(try await second.send(.get, "/api/v1/loans", token: grace.accessToken).status == .unauthorized)
        }
    }
}
