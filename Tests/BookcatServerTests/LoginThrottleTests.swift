import BookcatCache
import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import RedisClient
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Login throttling")
struct LoginThrottleTests {
    private func logIn(_ app: TestApp, _ email: String, _ password: String, from address: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let address { headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.9, \(address)" }
        return try await app.send(.post, "/api/v1/auth/login", json: ["email": email, "password": password], headers: headers)
    }

    /// Sends `count` requests at once and collects their statuses.
    private func concurrently(
        _ count: Int,
        _ request: @escaping @Sendable (Int) async throws -> HTTPResponse.Status
    ) async throws -> [HTTPResponse.Status] {
        try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for index in 0..<count { group.addTask { try await request(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func fiveFailuresLockTheAccountEvenForTheRightPassword() async throws {
        try await TestApp.run { app in
            _ = try await app.member("grace")
            for _ in 0..<5 { #expect(try await logIn(app, "grace@example.org", "wrong password").status == .unauthorized) }
            let locked = try await logIn(app, "grace@example.org", "member password 1")
            #expect(locked.status == .tooManyRequests)
            let retryAfter = try #require(locked.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter > 0 && retryAfter <= 900)
            _ = try locked.problem()
            // Operators see it: one refusal so far, counted by kind.
            let metrics = try await app.send(.get, "/metrics").text
            #expect(metrics.contains(#"login_throttle_refusals_total{kind="logins"} 1"#))
        }
    }

    /// The lockout lasts as long as Retry-After says, and not forever: once the window has passed, the right
    /// password works again.
    @Test func aLockoutEndsWithItsWindow() async throws {
        let time = ManualWallClock()
        try await TestApp.run(clock: time.clock) { app in
            _ = try await app.member("grace")
            for _ in 0..<5 { _ = try await logIn(app, "grace@example.org", "wrong password") }
            let locked = try await logIn(app, "grace@example.org", "member password 1")
            let retryAfter = try #require(locked.headers[.retryAfter].flatMap { Int($0) })
            time.advance(by: TimeInterval(retryAfter) - 2)
            #expect(try await logIn(app, "grace@example.org", "member password 1").status == .tooManyRequests)
            time.advance(by: 2)
            #expect(try await logIn(app, "grace@example.org", "member password 1").status == .ok)
        }
    }

    @Test func aLockoutDoesNotRevealWhetherTheAccountExists() async throws {
        // A clock that stands still: on a loaded machine the attempts alone can take seconds, and the two waits
        // would differ by that much, which says nothing about whether the account exists.
        let time = ManualWallClock()
        try await TestApp.run(clock: time.clock) { app in
            _ = try await app.member("grace")
            for _ in 0..<5 {
                _ = try await logIn(app, "grace@example.org", "wrong password")
                _ = try await logIn(app, "nobody@example.org", "wrong password")
            }
            let existing = try await logIn(app, "grace@example.org", "wrong password")
            let missing = try await logIn(app, "nobody@example.org", "wrong password")
            #expect(existing.status == .tooManyRequests)
            #expect(missing.status == .tooManyRequests)
            // The same words and the same wait.
            let existingDetail = try #require(try existing.problem()["detail"] as? String)
            let missingDetail = try #require(try missing.problem()["detail"] as? String)
            #expect(existingDetail.replacing(/\d+/, with: "N") == missingDetail.replacing(/\d+/, with: "N"))
            let existingWait = try #require(existing.headers[.retryAfter].flatMap { Int($0) })
            let missingWait = try #require(missing.headers[.retryAfter].flatMap { Int($0) })
            #expect(existingWait == missingWait)
        }
    }

    @Test func aSuccessfulLoginClearsTheAccountsFailures() async throws {
        var configuration = TestApp.configuration()
        // Eleven password checks in a minute: over the limit on checks, which is not what this is about.
        configuration.loginLimits.checksPerAccount = 100
        try await TestApp.run(configuration: configuration) { app in
            _ = try await app.member("grace")
            for _ in 0..<4 { _ = try await logIn(app, "grace@example.org", "wrong password") }
            #expect(try await logIn(app, "grace@example.org", "member password 1").status == .ok)
            for _ in 0..<4 { _ = try await logIn(app, "grace@example.org", "wrong password") }
            #expect(try await logIn(app, "grace@example.org", "member password 1").status == .ok)
        }
    }

    @Test func twentyFailuresFromOneAddressLockThatAddressOnly() async throws {
        var configuration = TestApp.configuration()
        configuration.server.trustForwardedFor = true
        try await TestApp.run(configuration: configuration) { app in
            _ = try await app.member("grace")
            for index in 0..<20 {
                _ = try await logIn(app, "guess\(index)@example.org", "wrong password", from: "198.51.100.7")
            }
            #expect(try await logIn(app, "grace@example.org", "member password 1", from: "198.51.100.7").status == .tooManyRequests)
            #expect(try await logIn(app, "grace@example.org", "member password 1", from: "198.51.100.8").status == .ok)
        }
    }

    /// Two server processes on one database share the counts: a lockout holds whichever process is asked.
    @Test func countersAreSharedByEveryProcessOnTheDatabase() async throws {
        let folder = TemporaryFolder("throttle")
        defer { folder.remove() }
        let path = folder.databasePath
        let limits = LoginLimits(failuresPerAccount: 2, failuresPerClient: 100)
        // One clock for both, moved by nobody: the wait below is exactly the window, however slowly this runs.
        let time = ManualWallClock()
        let first = try AppDatabase(path: path).store(loginLimits: limits, clock: time.clock).loginThrottle
        let second = try AppDatabase(path: path).store(loginLimits: limits, clock: time.clock).loginThrottle
        #expect(try await first.reserveAttempt(account: "account:1", client: "192.0.2.1") == nil)
        #expect(try await second.reserveAttempt(account: "account:1", client: "192.0.2.2") == nil)
        let wait = try #require(try await first.reserveAttempt(account: "account:1", client: "192.0.2.3"))
        #expect(wait == .seconds(900))
        #expect(try await second.reserveAttempt(account: "account:2", client: "192.0.2.3") == nil)
        try await second.recordSuccess(account: "account:1", client: "192.0.2.2")
        #expect(try await first.reserveAttempt(account: "account:1", client: "192.0.2.3") == nil)
    }

    /// The audit's race: 30 concurrent wrong passwords for one account were all evaluated (30 × 401, no 429).
    /// Reserving before verifying lets exactly the limit through, on a real server with Redis as its cache.
    @Test func concurrentGuessesForOneAccountAreEvaluatedAtMostUpToTheLimit() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(.live, cache: redis.responseCache()) { app in
                _ = try await app.member("grace")
                let statuses = try await concurrently(30) { _ in try await logIn(app, "grace@example.org", "wrong password").status }
                #expect(statuses.filter { $0 == .unauthorized }.count == 5)
                #expect(statuses.filter { $0 == .tooManyRequests }.count == 25)
                #expect(try await logIn(app, "grace@example.org", "member password 1").status == .tooManyRequests)
            }
        }
    }

    /// The audit: the counters shared Redis with the cache under `allkeys-lru`, and 1,200 distinct listings evicted
    /// them, unlocking the account. Here Redis is filled past a real `maxmemory` until it evicts, and the account
    /// stays locked.
    @Test func cachePressureDoesNotUnlockAnAccount() async throws {
        try await RedisServer.with { redis in
            let inspector = redis.inspector()
            defer { Task { await inspector.shutdown() } }
            _ = try await inspector.send("CONFIG", "SET", "maxmemory", "2mb")
            _ = try await inspector.send("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
            try await TestApp.run(.live, cache: redis.responseCache()) { app in
                let admin = try await app.admin()
                for index in 0..<60 {
                    _ = try await app.createBook(token: admin.accessToken, ["title": "Pressure \(index) " + String(repeating: "x", count: 200)])
                }
                _ = try await app.member("grace")
                for _ in 0..<5 { _ = try await logIn(app, "grace@example.org", "wrong password") }
                #expect(try await logIn(app, "grace@example.org", "member password 1").status == .tooManyRequests)

                var evicted: Int64 = 0
                var query = 0
                while evicted < 50, query < 5_000 {
                    for _ in 0..<20 {
                        query += 1
                        // Distinct keys with large bodies: every page size, in both directions of each ordering.
                        let order = ["title", "-title", "created_at", "-created_at"][query % 4]
                        let listing = try await app.send(
                            .get,
                            "/api/v1/books?page_size=\(20 + (query / 4) % 81)&order_by=\(order)",
                            token: admin.accessToken
                        )
                        #expect(listing.status == .ok)
                    }
                    evicted = try await Self.evictedKeys(inspector)
                }
                #expect(evicted >= 50, "Redis never evicted under maxmemory (evicted \(evicted) after \(query) listings)")
                #expect(try await logIn(app, "grace@example.org", "member password 1").status == .tooManyRequests)
            }
        }
    }

    private static func evictedKeys(_ client: RedisClient) async throws -> Int64 {
        let info = try await client.send("INFO", "stats").string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("evicted_keys:") }
        return line.flatMap { Int64($0.dropFirst("evicted_keys:".count)) } ?? 0
    }

    /// Signup costs a bcrypt hash, so one address may only sign up so often; another address is unaffected.
    @Test func signupsAreLimitedPerAddress() async throws {
        var configuration = TestApp.configuration()
        configuration.server.trustForwardedFor = true
        configuration.loginLimits.signupsPerClient = 3
        try await TestApp.run(configuration: configuration) { app in
            func signUp(_ name: String, from address: String) async throws -> TestResponse {
                var headers: HTTPFields = [:]
                headers[HTTPField.Name("X-Forwarded-For")!] = address
                let body = ["email": "\(name)@example.org", "username": name, "password": "member password 1"]
                return try await app.send(.post, "/api/v1/users", json: body, headers: headers)
            }
            #expect(try await signUp("ada", from: "198.51.100.1").status == .created)
            // A taken name still counts: it is the cheap way to probe, and the answer is the same 409 either way.
            #expect(try await signUp("ada", from: "198.51.100.1").status == .conflict)
            #expect(try await signUp("bea", from: "198.51.100.1").status == .created)
            let refused = try await signUp("cyd", from: "198.51.100.1")
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.problem()["type"] as? String == Problem.typePrefix + "too-many-signups")
            #expect(refused.headers[.retryAfter].flatMap { Int($0) } != nil)
            #expect(try await app.store.users.user(username: "cyd") == nil)
            #expect(try await signUp("cyd", from: "198.51.100.2").status == .created)
        }
    }

    /// One address guessing with the right password among 50 concurrent tries must be stopped at its 20 attempts.
    @Test func concurrentGuessesFromOneAddressStopAtTheAddressLimit() async throws {
        var configuration = TestApp.configuration()
        configuration.server.trustForwardedFor = true
        try await TestApp.run(.live, configuration: configuration) { app in
            for index in 0..<50 { _ = try await app.member("user\(index)") }
            let statuses = try await concurrently(50) { index in
                try await logIn(app, "user\(index)@example.org", "wrong password", from: "198.51.100.9").status
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 20)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 30)
        }
    }

    /// The second audit: after 5 bad logins for `enum1` it answered 429 while a name with no account answered 401,
    /// and locking `dos3` made `DОS3` (Cyrillic О) answer 429: existence, and which e-mail goes with which username,
    /// could be read off the lockout. Each identifier is counted on its own, by the form the store matches, whether
    /// or not an account has it.
    @Test func aLockoutRevealsNeitherExistenceNorWhichEmailGoesWithWhichUsername() async throws {
        try await TestApp.run { app in
            _ = try await app.member("enum1")
            func attempt(_ identifier: [String: String], _ password: String = "wrong password") async throws -> HTTPResponse.Status {
                var body: [String: Any] = identifier
                body["password"] = password
                return try await app.send(.post, "/api/v1/auth/login", json: body).status
            }
            for _ in 0..<5 {
                #expect(try await attempt(["username": "enum1"]) == .unauthorized)
                #expect(try await attempt(["username": "ghost1"]) == .unauthorized)
            }
            // An account and a name with none lock alike, and so do their look-alike spellings.
            #expect(try await attempt(["username": "enum1"]) == .tooManyRequests)
            #expect(try await attempt(["username": "gh\u{043E}st1"]) == .tooManyRequests)
            #expect(try await attempt(["username": "ENUM1"]) == .tooManyRequests)
            #expect(try await attempt(["username": "gh\u{043E}st1"]) == .tooManyRequests)
            // The account's e-mail has a count of its own: nothing links it to the locked username.
            #expect(try await attempt(["email": "enum1@example.org"], "member password 1") == .ok)
        }
    }

    /// The audit: PATCH and DELETE /users/me checked current_password with no throttle (30 × 403, then 200). They
    /// have a count of their own (a stolen token cannot guess on), apart from the login prompt's (strangers' guesses
    /// cannot lock the owner out: PasswordCheckBudgetTests).
    @Test func currentPasswordChecksAreCountedAndLockAfterFive() async throws {
        try await TestApp.run { app in
            let session = try await app.member("grace")
            func changePassword(current: String) async throws -> HTTPResponse.Status {
                try await app.changePassword(token: session.accessToken, from: current, to: "new password 2").status
            }
            for _ in 0..<5 { #expect(try await changePassword(current: "wrong password") == .forbidden) }
            #expect(try await changePassword(current: "member password 1") == .tooManyRequests)
            let delete = try await app.send(.delete, "/api/v1/users/me", token: session.accessToken, json: ["password": "member password 1"])
            #expect(delete.status == .tooManyRequests)
            // The login prompt's own count is untouched: the owner can still log in.
            #expect(try await logIn(app, "grace@example.org", "member password 1").status == .ok)
        }
    }
}
