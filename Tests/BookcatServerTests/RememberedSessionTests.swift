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

    /// A route that acts on the account (every write among them) goes on a remembered session only while the
    /// process's lease vouches for the session epoch it was read at: a session ended on another instance stops at
    /// once there too, for reads and writes alike.
    @Test(arguments: Ending.allCases)
    func aRouteThatActsStopsAtOnceWhenTheSessionEnds(ending: Ending) async throws {
        try await TestApp.runTwoInstances { first, second in
            let grace = try await first.member("grace")
            // Remembered on the second instance, and acted on there: a write and two reads that are not cached.
            #expect(try await second.send(.patch, "/api/v1/users/me", token: grace.accessToken, json: ["username": "grace2"]).status == .ok)
            #expect(try await second.send(.get, "/api/v1/users/me", token: grace.accessToken).status == .ok)
            #expect(try await second.send(.get, "/api/v1/loans", token: grace.accessToken).status == .ok)
            try await end(grace, by: ending, on: first)
            #expect(try await second.send(.get, "/api/v1/users/me", token: grace.accessToken).status == .unauthorized)
            #expect(try await second.send(.get, "/api/v1/loans", token: grace.accessToken).status == .unauthorized)
            let write = try await second.send(.patch, "/api/v1/users/me", token: grace.accessToken, json: ["username": "grace3"])
            #expect(write.status == .unauthorized, "\(ending)")
        }
    }
}
