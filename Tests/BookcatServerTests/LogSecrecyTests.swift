import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// Keeps every log line (message and metadata) in memory so a test can search it.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(merged)") }
    }
}

@Suite("Secrets never reach the logs")
struct LogSecrecyTests {
    @Test func passwordsTokensAndAuthorizationHeadersAreNeverLogged() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "bookcat-log-test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        let password = "very secret password 42"
        let secrets = try await TestApp.run(logger: logger) { app in
            _ = try await app.send(.post, "/api/v1/users", json: ["email": "sam@example.org", "username": "sam", "password": password])
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "sam@example.org", "password": password])
            let tokens = try login.object()
            let access = try tokens.string("access_token")
            let refresh = try tokens.string("refresh_token")
            _ = try await app.send(.get, "/api/v1/users/me?debug=\(password.replacingOccurrences(of: " ", with: "+"))", token: access)
            _ = try await app.send(.post, "/api/v1/auth/login", json: ["email": "sam@example.org", "password": password + "x"])
            _ = try await app.send(.get, "/api/v1/users/me", headers: [.authorization: "Bearer \(access)x"])
            _ = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": refresh])
            _ = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": refresh])
            _ = try await app.send(.patch, "/api/v1/users/me", token: access, json: ["password": "another password 1", "current_password": password])
            _ = try await app.send(.delete, "/api/v1/users/me", token: access, json: ["password": "another password 1"])
            return [password, "another password 1", access, refresh, "Bearer"]
        }
        let log = lines.withLockedValue { $0.joined(separator: "\n") }
        #expect(log.contains("/api/v1/auth/login"), "the request log should have captured requests")
        for secret in secrets {
            #expect(!log.contains(secret), "a secret reached the logs")
        }
        #expect(!log.lowercased().contains("authorization"))
    }
}

@Suite("Metadata reaches the log line only when a message is logged")
struct LazyMetadataLogHandlerTests {
    @Test func theLoggersMetadataAndTheMessagesOwnAreBothLoggedTheMessagesWinning() {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "lazy") { _ in LazyMetadataLogHandler(CapturingLogHandler(lines: lines)) }
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "42"
        logger[metadataKey: "route"] = "/books"
        logger.debug("below the level")
        logger.info("served", metadata: ["route": "/books/{id}"])
        let logged = lines.withLockedValue { $0 }
        #expect(logged.count == 1)
        // A dictionary's description has no fixed order: look for each member.
        #expect(logged.first?.hasPrefix("info served [") == true)
        #expect(logged.first?.contains(#""hb.request.id": 42"#) == true)
        #expect(logged.first?.contains(#""route": /books/{id}"#) == true)
        #expect(logged.first?.contains(#""route": /books,"#) == false && logged.first?.contains(#""route": /books]"#) == false)
        #expect(logger[metadataKey: "route"] == "/books")
    }
}
