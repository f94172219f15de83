import BookcatSQLite
import BookcatTestSupport
import Foundation
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing

@testable import BookcatServer

/// The audit: 300 connections, half with half-sent headers, were all still open after 130 s.
@Suite("Slow and idle clients")
struct SlowClientTests {
    private static let request = "GET /api/v1/common/health-check HTTP/1.1\r\nHost: bookcat\r\n\r\n"

    private func configuration(idle: Int = 30, headers: Int = 30, connections: Int = 1024) -> AppConfiguration {
        var configuration = TestApp.configuration()
        configuration.idleTimeout = idle
        configuration.headerTimeout = headers
        configuration.maxConnections = connections
        return configuration
    }

    /// The live server has the header deadline in its pipeline (``HeaderDeadlineHandlerTests`` times it exactly).
    @Test func halfSentHeadersAreDroppedAtTheHeaderTimeout() async throws {
        try await TestApp.run(.live, configuration: configuration(idle: 30, headers: 1)) { app in
            let slow = try await RawConnection.open(port: try #require(app.client.port))
            try await slow.send("GET /api/v1/common/health-check HTTP/1.1\r\nHost: b")
            #expect(try await slow.closes(within: .seconds(5)))
            #expect(slow.response.isEmpty)
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await TestApp.run(.live, configuration: configuration(idle: 1, headers: 30)) { app in
            let port = try #require(app.client.port)
            let silent = try await RawConnection.open(port: port)
            let served = try await RawConnection.open(port: port)
            try await served.send(Self.request)
            #expect(try await silent.closes(within: .seconds(3)))
            #expect(try await served.closes(within: .seconds(3)))
            #expect(served.response.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// Run as `bookcat serve` runs, not through HummingbirdTesting: its live setup rebuilds the server configuration
    /// with `with(address:)`, which (Hummingbird 2.28.1) drops `availableConnectionsDelegate`.
    @Test func connectionsBeyondTheCapWaitUntilOneCloses() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "slow-clients") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .warning
        var configuration = configuration(connections: 2)
        configuration.port = try RedisServer.freePort()
        let folder = TemporaryFolder("cap")
        defer { folder.remove() }
        let dependencies = AppDependencies(store: try AppDatabase(path: folder.databasePath).store())
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
        let server = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { Task { await server.triggerGracefulShutdown() } }
            let port = configuration.port
            let opened = try await eventually {
                try? await RawConnection.open(port: port)
            } until: {
                $0 != nil
            }
            let first = try #require(opened, "the server did not start listening")
            let second = try await RawConnection.open(port: port)
            let capped = try await eventually {
                lines.withLockedValue { $0 }.contains { $0.contains("connection limit reached: 2 open") }
            } until: {
                $0
            }
            #expect(capped, "the server did not report reaching its connection limit")
            let waiting = try await RawConnection.open(port: port)
            try await waiting.send(Self.request)
            // Both admitted connections are served after the third one asked: the server is running, yet the third
            // is still unanswered.
            for admitted in [first, second] {
                try await admitted.send(Self.request)
                #expect(try await admitted.receives("HTTP/1.1 200"))
            }
            #expect(waiting.response.isEmpty, "a connection beyond the cap was served")
            await first.close()
            #expect(try await waiting.receives("HTTP/1.1 200"))
            await second.close()
            await waiting.close()
            await server.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
