import BookcatCache
import BookcatCore
import Logging
import Metrics
import RedisClient

extension RedisServer {
    /// A response cache in this server, with its own client (as a separate process would have).
    public func responseCache(
        keyPrefix: String = "bookcat",
        memoryBytes: Int = 1 << 20,
        commandTimeout: Duration = .seconds(2),
        breakerPause: Duration? = nil,
        lease: Duration = .seconds(1),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) -> RedisResponseCache {
        var logger = Logger(label: "bookcat-cache-tests")
        logger.logLevel = .critical
        var configuration = clientConfiguration(commandTimeout: commandTimeout)
        if let breakerPause { configuration.openDuration = breakerPause }
        return RedisResponseCache(
            client: RedisClient(configuration: configuration, metrics: metrics),
            ttlSeconds: 300,
            memoryBytes: memoryBytes,
            lease: lease,
            keyPrefix: keyPrefix,
            metrics: metrics,
            logger: logger
        )
    }

    /// How many times the server has run `command` (lowercase), from `INFO commandstats`; 0 if never.
    public func calls(of command: String) async throws -> Int64 {
        let client = inspector()
        defer { Task { await client.shutdown() } }
        let stats = try await client.send("INFO", "commandstats").string ?? ""
        guard let line = stats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }),
            let field = line.split(separator: ":")[1].split(separator: ",").first(where: { $0.hasPrefix("calls=") })
        else { return 0 }
        return Int64(field.dropFirst("calls=".count)) ?? 0
    }

    /// How many keys the server holds.
    public func keyCount() async throws -> Int64 {
        let client = inspector()
        defer { Task { await client.shutdown() } }
        return try await client.send("DBSIZE").integer ?? -1
    }
}

/// A cached body whose bytes are `text` (padded with `size` spaces) and whose tag names it, so a test can say which
/// render it got.
public func body(_ text: String, size: Int = 0) -> CachedBody {
    CachedBody(bytes: Array(text.utf8) + Array(repeating: UInt8(ascii: " "), count: size), etag: "\"\(text)\"")
}

/// Runs `body` while each of `caches` holds its lease (``CacheLease``), as every `bookcat serve` process does, once
/// every lease is in force; the holders leave the registry before this returns.
public func holdingLeases<Value: Sendable>(_ caches: [RedisResponseCache], _ body: () async throws -> Value) async throws -> Value {
    let holders = caches.map { cache in Task { await cache.lease.hold() } }
    func stopHolders() async {
        for holder in holders { holder.cancel() }
        for holder in holders { await holder.value }
    }
    do {
        for cache in caches { try await cache.lease.untilTrusted() }
        let value = try await body()
        await stopHolders()
        return value
    } catch {
        await stopHolders()
        throw error
    }
}

public struct LeaseNeverTrusted: Error {}

extension CacheLease {
    /// Waits (up to five seconds) until the lease lets hits skip Redis.
    public func untilTrusted() async throws {
        guard try await eventually({ isInForce }, until: { $0 }) else { throw LeaseNeverTrusted() }
    }
}
