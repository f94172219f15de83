import BookcatCore
import BookcatTestSupport
import Crypto
import CryptoExtras
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

/// Password checks are the expensive path anyone can reach without an account: they run on threads of their own,
/// under budgets no crowd of guessers can exhaust for everyone else (#41).
@Suite("Password check budgets")
struct PasswordCheckBudgetTests {
    /// The most iterations an imported Django hash may have: the costliest check a stranger can ask for.
    static let iterations = DjangoPasswordHash.maximumIterations

    /// A Django PBKDF2-SHA256 hash of `password` at `iterations`, as the Django service stored it.
    static func djangoHash(of password: String, iterations: Int = iterations, salt: String = "importedsalt") throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8),
            salt: Array(salt.utf8),
            using: .sha256,
            outputByteCount: 32,
            unsafeUncheckedRounds: iterations
        )
        let derived = key.withUnsafeBytes { Data($0) }.base64EncodedString()
        return "pbkdf2_sha256$\(iterations)$\(salt)$\(derived)"
    }

    /// A series' value in a `/metrics` text; 0 when absent.
    static func value(of series: String, in metrics: String) -> Double {
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    private func logIn(_ app: TestApp, _ email: String, _ password: String, from address: String) async throws -> TestResponse {
        let headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9, \(address)"]
        return try await app.send(.post, "/api/v1/auth/login", json: ["email": email, "password": password], headers: headers)
    }

    /// The audit: 120 wrong logins at accounts imported with 2,000,000 iterations, from 10 addresses, held every
    /// login behind them (a bystander's took 13.6 s). Costly checks now take at most half the threads, two at a time
    /// per account, and wait a bounded time: the bystander's bcrypt login is answered while the flood still runs,
    /// and every guess is answered within the queue's time and one check, 401 or 503 with Retry-After.
    @Test func aFloodOfCostlyImportedChecksNeitherStallsOthersNorQueuesWithoutEnd() async throws {
        var configuration = TestApp.configuration()
        configuration.server.trustForwardedFor = true
        configuration.server.passwordChecksConcurrent = 2
        configuration.server.passwordQueueWaitMilliseconds = 1_000
        // The flood's accounts: well-formed imported hashes that no guess matches (computing one per account would
        // cost as much as the flood).
        let imported = try Self.djangoHash(of: "the real password nobody guesses")
        try await TestApp.run(configuration: configuration) { app in
            let accounts = 12
            for index in 0..<accounts {
                _ = try await app.store.users.create(
                    NewUser(email: "imported\(index)@example.org", username: "imported\(index)", passwordHash: imported, role: .user)
                )
            }
            _ = try await app.member("bystander")
            // What one costly check costs on this machine now, alone: the unit the bystander is measured in.
            let alone = ContinuousClock.now
            #expect(try await logIn(app, "imported0@example.org", "a first guess", from: "198.51.100.200").status == .unauthorized)
            let oneCheck = ContinuousClock.now - alone
            let finished = NIOLockedValueBox(0)
            // Three at a time per account: the third waits for one of the first two.
            let guesses = 36
            try await withThrowingTaskGroup(of: Void.self) { group in
                for guess in 0..<guesses {
                    group.addTask {
                        let started = ContinuousClock.now
                        let response = try await logIn(
                            app,
                            "imported\(guess % accounts)@example.org",
                            "wrong guess \(guess)",
                            from: "198.51.100.\(guess % 10)"
                        )
                        let waited = ContinuousClock.now - started
                        finished.withLockedValue { $0 += 1 }
                        #expect([.unauthorized, .serviceUnavailable].contains(response.status), "\(response.status)")
                        if response.status == .serviceUnavailable {
                            #expect(response.headers[.retryAfter] != nil)
                        }
                        // The queue's second and the check that was running: never the whole flood's time.
                        #expect(waited < .seconds(20), "a guess waited \(waited)")
                    }
                }
                // Once the flood is queued, an ordinary login is answered while it still runs.
                try await Task.sleep(for: .milliseconds(300))
                let asked = ContinuousClock.now
                let bystander = try await logIn(app, "bystander@example.org", "member password 1", from: "192.0.2.50")
                let waited = ContinuousClock.now - asked
                let doneBefore = finished.withLockedValue { $0 }
                #expect(bystander.status == .ok)
                // Before: behind the whole flood on one shared queue, some eighteen costly checks' time.
                #expect(waited < oneCheck, "the bystander waited \(waited), one costly check takes \(oneCheck)")
                #expect(doneBefore < guesses, "the bystander waited for the whole flood")
                try await group.waitForAll()
            }
            let metrics = try await app.send(.get, "/metrics").text
            // Thirty-six checks of a second or more each on one thread: most could not start within the queue's
            // second, and were refused rather than left waiting.
            let refused = Self.value(of: "password_checks_refused_total", in: metrics)
            let ran = Self.value(of: #"password_checks_total{lane="costly"}"#, in: metrics)
            #expect(refused >= 1 && ran + refused == Double(guesses + 1), "ran \(ran), refused \(refused)")
            // The health check and the catalog never waited on the flood.
            #expect(try await app.send(.get, "/api/v1/common/health-check").status == .ok)
        }
    }

    /// A login refused because the password threads were busy proved nothing: its reserved attempt is given back,
    /// so a flood that keeps the threads busy cannot lock an account (or an address) out by its refusals.
    @Test func refusalsForBusyThreadsLockNobodyOut() async throws {
        var configuration = TestApp.configuration()
        configuration.server.trustForwardedFor = true
        configuration.server.passwordChecksConcurrent = 2
        configuration.server.passwordQueueLength = 0
        let blocking = try Self.djangoHash(of: "nobody guesses this")
        let owned = try Self.djangoHash(of: "imported password 1", iterations: 1_000)
        try await TestApp.run(configuration: configuration) { app in
            // A blocker account a round, so none is locked out by its own wrong guesses.
            for round in 0..<40 {
                _ = try await app.store.users.create(
                    NewUser(email: "blocker\(round)@example.org", username: "blocker\(round)", passwordHash: blocking, role: .user)
                )
            }
            _ = try await app.store.users.create(NewUser(email: "owner@example.org", username: "owner", passwordHash: owned, role: .user))
            var refused = 0
            var failed = 0
            // Until six of the owner's logins (wrong ones) were refused while the one costly thread was taken; one
            // that found the thread free is a real failure, and four of those still lock nobody out.
            for round in 0..<40 where refused < 6 && failed < 4 {
                let costly = #"password_checks_total{lane="costly"}"#
                let before = Self.value(of: costly, in: try await app.send(.get, "/metrics").text)
                let blocker = Task { try await logIn(app, "blocker\(round)@example.org", "guess", from: "198.51.100.\(round)") }
                // Once the blocker's check is on the costly thread.
                _ = try await eventually {
                    Self.value(of: costly, in: try await app.send(.get, "/metrics").text)
                } until: {
                    $0 > before
                }
                let owner = try await logIn(app, "owner@example.org", "a wrong guess", from: "192.0.2.7")
                if owner.status == .serviceUnavailable { refused += 1 }
                if owner.status == .unauthorized { failed += 1 }
                #expect(owner.status != .tooManyRequests, "round \(round): locked out after \(refused) refusals, \(failed) failures")
                _ = try await blocker.value
            }
            // More attempts than the five that lock an account, none locked out: the refused ones were given back.
            #expect(refused >= 2 && refused + failed >= 6, "\(refused) refusals and \(failed) failures: the costly thread was seldom busy")
            let login = try await logIn(app, "owner@example.org", "imported password 1", from: "192.0.2.7")
            #expect(login.status == .ok, "\(login.status) \(login.text)")
        }
    }

    /// An imported account still logs in with its Django password, and is moved to bcrypt by it.
    @Test func anImportedHashStillLogsInThroughTheCostlyLane() async throws {
        var configuration = TestApp.configuration()
        configuration.server.passwordChecksConcurrent = 1
        let hash = try Self.djangoHash(of: "imported password 1", iterations: 10_000)
        try await TestApp.run(configuration: configuration) { app in
            let user = try await app.store.users.create(
                NewUser(email: "moved@example.org", username: "moved", passwordHash: hash, role: .user)
            )
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "moved@example.org", "password": "imported password 1"])
            #expect(login.status == .ok)
            #expect(try await app.store.users.user(id: user.id)?.passwordHash.hasPrefix("$2") == true)
            let metrics = try await app.send(.get, "/metrics").text
            #expect(metrics.contains(#"password_checks_total{lane="costly"} 1"#))
        }
    }

    /// The audit: an imported account whose hash can never match answered 401 in 1–9 ms, a missing one in ~190 ms
    /// (a decoy bcrypt verification), which told them apart. Both now verify the decoy: one ordinary check each.
    @Test(arguments: ["pbkdf2_sha256$870000$salt$short", "pbkdf2_sha1$10000$salt$abc", "!unusable", "", "$2b$12$tooshort"])
    func anUnusableHashCostsWhatAMissingAccountCosts(stored: String) async throws {
        try await TestApp.run { app in
            _ = try await app.store.users.create(NewUser(email: "unusable@example.org", username: "unusable", passwordHash: stored, role: .user))
            func ordinaryChecks() async throws -> Double {
                Self.value(of: #"password_checks_total{lane="ordinary"}"#, in: try await app.send(.get, "/metrics").text)
            }
            let start = try await ordinaryChecks()
            let missing = try await app.send(.post, "/api/v1/auth/login", json: ["email": "nobody@example.org", "password": "a guess"])
            let afterMissing = try await ordinaryChecks()
            let unusable = try await app.send(.post, "/api/v1/auth/login", json: ["email": "unusable@example.org", "password": "a guess"])
            let afterUnusable = try await ordinaryChecks()
            #expect(missing.status == .unauthorized && unusable.status == .unauthorized)
            #expect(afterMissing - start == 1)
            #expect(afterUnusable - afterMissing == 1, "an unusable hash skipped the decoy")
            #expect(unusable.text == missing.text)
        }
    }

    /// The audit: five wrong guesses at the victim's e-mail from anywhere, and the owner's PATCH /users/me with the
    /// correct current_password answered 429 for 15 minutes; DELETE too; so did a thief logging in with the stolen
    /// password in a loop. The owner's proof has its own count.
    @Test func strangersCannotLockAnOwnerOutOfChangingTheirPassword() async throws {
        var configuration = TestApp.configuration()
        configuration.server.trustForwardedFor = true
        try await TestApp.run(configuration: configuration) { app in
            let victim = try await app.member("victim")
            for guess in 0..<6 { _ = try await logIn(app, "victim@example.org", "wrong \(guess)", from: "198.51.100.\(guess)") }
            #expect(try await logIn(app, "victim@example.org", "member password 1", from: "192.0.2.1").status == .tooManyRequests)
            let changed = try await app.changePassword(token: victim.accessToken, from: "member password 1", to: "new password 2")
            #expect(changed.status == .ok, "\(changed.status) \(changed.text)")
        }
        try await TestApp.run(configuration: configuration) { app in
            let victim = try await app.member("victim")
            // The thief knows the password and logs in until the identifier's checks are spent.
            for _ in 0..<12 { _ = try await logIn(app, "victim@example.org", "member password 1", from: "198.51.100.77") }
            #expect(try await logIn(app, "victim@example.org", "member password 1", from: "198.51.100.77").status == .tooManyRequests)
            let deleted = try await app.send(.delete, "/api/v1/users/me", token: victim.accessToken, json: ["password": "member password 1"])
            #expect(deleted.status == .noContent, "\(deleted.status) \(deleted.text)")
        }
    }
}
