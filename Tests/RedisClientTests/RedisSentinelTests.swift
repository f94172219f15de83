import BookcatTestSupport
import Foundation
import Metrics
import RedisClient
import Testing

/// `REDIS_SENTINELS`: every new connection asks the sentinels for the primary and checks it is one, so after a
/// failover the client writes to the promoted replica. Real servers: a primary, its replica and a Sentinel.
@Suite("Redis Sentinel")
struct RedisSentinelTests {
    @Test func afterAFailoverCommandsGoToThePromotedReplicaWithTheDataItHeld() async throws {
        try await RedisServer.with { primary in
            try await RedisServer.with(role: .replica(ofPort: primary.port)) { replica in
                try await Self.withSentinel(watching: primary) { sentinel in
                    var configuration = primary.clientConfiguration()
                    // Never used with Sentinel: a port nothing listens on proves it.
                    configuration.port = try LoopbackPort.refusing()
                    // The first sentinel is down: the client asks the next.
                    let down = RedisAddress(host: "127.0.0.1", port: try LoopbackPort.refusing())
                    configuration.sentinel = RedisSentinel(
                        sentinels: [down, RedisAddress(host: "127.0.0.1", port: sentinel.port)],
                        primaryName: "bookcat"
                    )
                    let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
                    #expect(try await client.send("SET", "before", "the failover") == .simpleString("OK"))
                    #expect(try await Self.serverPort(of: client) == primary.port)
                    // Replicated before the failover (asynchronous replication may lose the latest writes otherwise).
                    let replicaInspector = replica.inspector()
                    _ = try await eventually(timeout: .seconds(20)) {
                        try await replicaInspector.send("INFO", "replication").string ?? ""
                    } until: {
                        $0.contains("master_link_status:up")
                    }
                    await replicaInspector.shutdown()
                    #expect(try await client.send("WAIT", "1", "1000") == .integer(1))

                    let inspector = sentinel.inspector()
                    // The sentinel must have found the replica (through the primary's INFO) before it can promote it.
                    _ = try await eventually(timeout: .seconds(20)) {
                        try await inspector.send("SENTINEL", "FAILOVER", "bookcat")
                    } until: {
                        $0 == .simpleString("OK")
                    }
                    _ = try await eventually(timeout: .seconds(20)) {
                        try await inspector.send("SENTINEL", "get-master-addr-by-name", "bookcat")
                    } until: {
                        if case .array(let fields) = $0 { return fields.last?.string == String(replica.port) }
                        return false
                    }
                    await inspector.shutdown()
                    // Until Sentinel has reconfigured the old primary as a replica, it still takes writes: the
                    // window every Sentinel set-up has. Reconfiguring it closes its clients' connections.
                    let oldPrimary = primary.inspector()
                    _ = try await eventually(timeout: .seconds(20)) {
                        try? await oldPrimary.send("ROLE")
                    } until: {
                        if case .array(let fields) = $0 { return fields.first?.string == "slave" }
                        return false
                    }
                    await oldPrimary.shutdown()

                    // Connections to the demoted primary are closed by Sentinel, or refused as READONLY: either way
                    // the next one asks the sentinels and lands on the promoted replica.
                    let written = try await eventually(timeout: .seconds(20)) {
                        try? await client.send("SET", "after", "the failover")
                    } until: {
                        $0 == .simpleString("OK")
                    }
                    #expect(written == .simpleString("OK"))
                    // Every connection now reaches the promoted replica: those to the demoted primary were closed
                    // when the first one reached the new one.
                    for _ in 0..<configuration.poolSize * 2 {
                        #expect(try await Self.serverPort(of: client) == replica.port)
                    }
                    #expect(try await client.send("GET", "before").string == "the failover")
                    await client.shutdown()
                }
            }
        }
    }

    /// `rediss://` with `REDIS_SENTINELS`: TLS to the sentinel, and to the primary it names, both verified.
    @Test func overTLSTheSentinelIsAskedAndThePrimaryItNamesIsReached() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        let tls = RedisServer.TLS(certificates: certificates)
        try await RedisServer.with(tls: tls) { primary in
            try await Self.withSentinel(watching: primary, tls: tls) { sentinel in
                var configuration = primary.clientConfiguration()
                configuration.port = try LoopbackPort.refusing()
                configuration.sentinel = RedisSentinel(sentinels: [RedisAddress(host: "127.0.0.1", port: sentinel.port)], primaryName: "bookcat")
                let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
                #expect(try await client.send("SET", "over", "tls") == .simpleString("OK"))
                let inspector = primary.inspector()
                #expect(try await inspector.send("GET", "over").string == "tls")
                await inspector.shutdown()
                await client.shutdown()

                // A sentinel reached in plain text is no sentinel: the client never falls back.
                var plain = configuration
                plain.tls = nil
                let refused = RedisClient(configuration: plain, metrics: NOOPMetricsHandler.instance)
                await #expect(throws: RedisError.self) { try await refused.send("PING") }
                await refused.shutdown()
            }
        }
    }

    @Test func noSentinelAnsweringIsAFailureThatNamesThem() async throws {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: 1)
        configuration.connectTimeout = .milliseconds(500)
        let ports = [try LoopbackPort.refusing(), try LoopbackPort.refusing()]
        configuration.sentinel = RedisSentinel(sentinels: ports.map { RedisAddress(host: "127.0.0.1", port: $0) }, primaryName: "bookcat")
        let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
        await #expect(throws: RedisError.self) { _ = try await client.send("PING") }
        do {
            _ = try await client.send("PING")
        } catch {
            let description = client.describeFailure(error)
            #expect(description.contains("no sentinel named the primary bookcat"), "\(description)")
            #expect(description.contains("127.0.0.1:\(ports[0])") && description.contains("127.0.0.1:\(ports[1])"), "\(description)")
        }
        await client.shutdown()
    }

    @Test func aSentinelThatMonitorsAnotherNameSaysItKnowsNoSuchPrimary() async throws {
        try await RedisServer.with { primary in
            try await Self.withSentinel(watching: primary) { sentinel in
                var configuration = primary.clientConfiguration()
                configuration.sentinel = RedisSentinel(
                    sentinels: [RedisAddress(host: "127.0.0.1", port: sentinel.port)],
                    primaryName: "other"
                )
                let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
                do {
                    _ = try await client.send("PING")
                    Issue.record("a primary nobody monitors was found")
                } catch {
                    #expect(client.describeFailure(error).contains("knows no primary named other"), "\(client.describeFailure(error))")
                }
                await client.shutdown()
            }
        }
    }

    @Test func sentinelAddressesParseAsHostAndPort() {
        #expect(RedisAddress("sentinel-1.internal:26379") == RedisAddress(host: "sentinel-1.internal", port: 26379))
        #expect(RedisAddress("[::1]:26379") == RedisAddress(host: "::1", port: 26379))
        #expect(RedisAddress("[::1]:26379")?.description == "[::1]:26379")
        #expect(RedisAddress("no-port") == nil)
        #expect(RedisAddress(":26379") == nil)
        #expect(RedisAddress("host:0") == nil)
    }

    // MARK: - Helpers

    /// A Sentinel monitoring `primary` as `bookcat`, quorum 1, quick to act; stopped when `body` ends.
    /// With `tls`, the sentinel listens for TLS and reaches the primary over TLS too.
    static func withSentinel<Value: Sendable>(
        watching primary: RedisServer,
        tls: RedisServer.TLS? = nil,
        _ body: (RedisServer) async throws -> Value
    ) async throws -> Value {
        let folder = TemporaryFolder("sentinel")
        defer { folder.remove() }
        try folder.write(
            """
            sentinel monitor bookcat 127.0.0.1 \(primary.port) 1
            sentinel down-after-milliseconds bookcat 1000
            sentinel failover-timeout bookcat 5000
            """,
            to: "sentinel.conf"
        )
        let file = folder.url.appendingPathComponent("sentinel.conf").path
        return try await RedisServer.with(
            role: .sentinel(configurationFile: file),
            tls: tls,
            arguments: tls == nil ? [] : ["--tls-replication", "yes"],
            body
        )
    }

    /// The port of the server the client's connections reach.
    static func serverPort(of client: RedisClient) async throws -> Int? {
        let info = try await client.send("INFO", "server").string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("tcp_port:") }
        return line.flatMap { Int($0.dropFirst("tcp_port:".count)) }
    }
}
