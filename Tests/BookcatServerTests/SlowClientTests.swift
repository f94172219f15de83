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

    @Test func halfSentHeadersAreDroppedAtTheHeaderTimeout() async throws {
        try await TestApp.run(.live, configuration: configuration(idle: 30, headers: 1)) { app in
            let port = try #require(app.client.port)
            let slow = try await RawConnection.open(port: port)
            // A byte every 200 ms keeps an idle timer happy; the header deadline counts from the first byte.
            for character in "GET /api/v1/common/health-check HTTP/1.1\r\nHost: b" {
                guard slow.isOpen else { break }
                try? await slow.send(String(character))
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try await slow.closes(within: .seconds(2)))
            #expect(slow.response.isEmpty)
        }
    }

    @Test func aClientThatSendsItsHeadersInTimeIsServed() async throws {
        try await TestApp.run(.live, configuration: configuration(idle: 30, headers: 2)) { app in
            let client = try await RawConnection.open(port: try #require(app.client.port))
            for chunk in ["GET /api/v1/common/health-check HTTP/1.1\r\n", "Host: bookcat\r\n", "\r\n"] {
                try await client.send(chunk)
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(client.response.hasPrefix("HTTP/1.1 200"))
            // Between requests the header clock is not running: the kept-alive connection outlives it.
            try await Task.sleep(for: .seconds(3))
            #expect(client.isOpen)
            try await client.send(Self.request)
            try await Task.sleep(for: .milliseconds(300))
            #expect(client.response.components(separatedBy: "HTTP/1.1 200").count == 3)
            await client.close()
        }
    }

    /// One timer serves a connection's requests: when it fires for an earlier request, it must still catch a later
    /// head that is trickling in, counted from that head's own first byte.
    @Test func aLaterRequestOnAKeptAliveConnectionHasItsOwnHeaderDeadline() async throws {
        try await TestApp.run(.live, configuration: configuration(idle: 30, headers: 1)) { app in
            let client = try await RawConnection.open(port: try #require(app.client.port))
            try await client.send(Self.request)
            try await Task.sleep(for: .milliseconds(700))
            #expect(client.response.hasPrefix("HTTP/1.1 200"))
            // Starts before the first request's deadline would have passed, and never finishes.
            for character in "GET /api/v1/common/health-check HTTP/1.1\r\nHost: b" {
                guard client.isOpen else { break }
                try? await client.send(String(character))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await client.closes(within: .seconds(2)))
            #expect(client.response.components(separatedBy: "HTTP/1.1 200").count == 2)
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
            try await Task.sleep(for: .milliseconds(300))
            let waiting = try await RawConnection.open(port: port)
            try await waiting.send(Self.request)
            try await Task.sleep(for: .seconds(1))
            #expect(waiting.response.isEmpty, "a connection beyond the cap was served")
            #expect(lines.withLockedValue { $0 }.contains { $0.contains("connection limit reached: 2 open") })
            await first.close()
            try await Task.sleep(for: .seconds(1))
            #expect(waiting.response.hasPrefix("HTTP/1.1 200"))
            await second.close()
            await waiting.close()
            await server.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
