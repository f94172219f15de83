import BookcatCache
import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Metrics
import NIOConcurrencyHelpers
import RedisClient
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("A configured cache that cannot connect is reported, not silent")
struct DegradedCacheTests {
    /// A response cache pointed at a loopback port where nothing listens, as when Redis is down or unreachable.
    static func unreachableCache() throws -> (cache: RedisResponseCache, port: Int) {
        let port = try LoopbackPort.refusing()
        var configuration = RedisConfiguration(host: "127.0.0.1", port: port)
        configuration.connectTimeout = .milliseconds(500)
        var logger = Logger(label: "bookcat-degraded-tests")
        logger.logLevel = .critical
        return (
            RedisResponseCache(
                client: RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance),
                store: UnwrittenStore(),
                ttlSeconds: 300,
                memoryBytes: 1 << 20,
                metrics: NOOPMetricsHandler.instance,
                logger: logger
            ), port
        )
    }

    @Test func healthIsDegradedAndNamesTheCauseWhileListingsStillServeFromTheDatabase() async throws {
        let (cache, port) = try Self.unreachableCache()
        try await TestApp.run(cache: cache) { app in
            let health = try await app.send(.get, "/api/v1/common/health-check")
            #expect(health.status == .ok)
            let body = try health.object()
            #expect(try body.string("status") == "degraded")
            #expect(try body.string("database") == "ok")
            #expect(try body.string("cache") == "unavailable")
            // The second audit: the reason named the cache's address to anonymous callers. It is in the log.
            let reason = try body.string("reason")
            #expect(reason == "cache unavailable")
            #expect(!health.text.contains("\(port)"))

            let token = try await app.admin().accessToken
            let listing = try await app.send(.get, "/api/v1/books", token: token)
            #expect(listing.status == .ok)
            #expect(listing.cacheOutcome == "ERROR")
        }
    }

    @Test func theHealthcheckCommandsVerdictIsNotReadyWhenDegraded() async throws {
        let (cache, port) = try Self.unreachableCache()
        try await TestApp.run(.live, cache: cache) { app in
            let serverPort = try #require(app.client.port)
            let verdict = try await HealthProbe.readiness(of: "http://127.0.0.1:\(serverPort)/api/v1/common/health-check", timeout: answerLimit)
            guard case .degraded(let reason) = verdict else {
                Issue.record("expected degraded, got \(verdict)")
                return
            }
            #expect(reason == "cache unavailable")
            #expect(!reason.contains("\(port)"))
        }
    }

    @Test func theHealthcheckCommandsVerdictIsReadyWithAWorkingCacheOrNoneConfigured() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(.live, cache: redis.responseCache()) { app in
                let port = try #require(app.client.port)
                let url = "http://127.0.0.1:\(port)/api/v1/common/health-check"
                #expect(try await HealthProbe.readiness(of: url, timeout: answerLimit) == .ready)
                let notHealth = try await HealthProbe.readiness(of: "http://127.0.0.1:\(port)/openapi.yaml", timeout: answerLimit)
                #expect(notHealth == .unready("http://127.0.0.1:\(port)/openapi.yaml answered 200 without a health document"))
            }
        }
        try await TestApp.run(.live) { app in
            let port = try #require(app.client.port)
            let verdict = try await HealthProbe.readiness(of: "http://127.0.0.1:\(port)/api/v1/common/health-check", timeout: answerLimit)
            #expect(verdict == .ready)
        }
    }

    @Test func theMonitorWarnsWithTheCauseUntilRedisAnswersThenSaysSo() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "bookcat-monitor-test") { _ in CapturingLogHandler(lines: lines) }
        let port = try LoopbackPort.free()
        var configuration = RedisConfiguration(host: "127.0.0.1", port: port)
        configuration.connectTimeout = .milliseconds(500)
        configuration.openDuration = .milliseconds(20)
        let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
        let monitor = RedisReachabilityMonitor(
            client: client,
            logger: logger,
            firstRetry: .milliseconds(20),
            maximumRetry: .milliseconds(80),
            healthyInterval: .milliseconds(50)
        )
        let running = Task { try await monitor.run() }
        defer { running.cancel() }

        // Each warning waits for a refused connection; with the whole suite on two cores three took over 5 s, and
        // beside other work (a load of 20) over 20.
        let warnings = try await eventually(timeout: .seconds(60)) {
            lines.withLockedValue { $0.filter { $0.hasPrefix("warning") } }
        } until: {
            $0.count >= 3
        }
        // Required, not expected: on a loaded machine fewer may have come in time, and indexing them would crash the run.
        try #require(warnings.count >= 3, "\(warnings)")
        #expect(warnings.allSatisfy { $0.contains("Redis is unreachable") && $0.contains("127.0.0.1:\(port)") })
        #expect(warnings.allSatisfy { $0.contains("could not connect") }, "the cause, also while the breaker is open")
        // Backoff: the announced pauses grow, up to the maximum.
        #expect(warnings[0].contains("retrying in 0.02 seconds"))
        #expect(warnings[1].contains("retrying in 0.04 seconds"))

        let redis = RedisServer.at(port: port)
        defer { redis.stop() }
        try await redis.start()
        let recovered = try await eventually {
            lines.withLockedValue { $0.filter { $0.hasPrefix("notice") } }
        } until: {
            !$0.isEmpty
        }
        #expect(recovered.first?.contains("Redis at 127.0.0.1:\(port) answers") == true)
        running.cancel()
        await client.shutdown()
    }
}
