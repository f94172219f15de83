import BookcatCache
import BookcatCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import RedisClient

extension RedisServer {
    /// A response cache in this server, with its own client (as a separate process would have). `store` is where
    /// its hits' versions come from; tests of the cache alone leave it at a store nobody writes. `proxy`, when given,
    /// is the way to this server its client takes (a ``TCPProxy`` a test can cut); `client`, when given, is how it
    /// connects instead of ``RedisServer/clientConfiguration(commandTimeout:)`` (another user, TLS files).
    public func responseCache(
        store: any StoreVersionSource = UnwrittenStore(),
        through proxy: TCPProxy? = nil,
        keyPrefix: String = "bookcat",
        memoryBytes: Int = 1 << 20,
        commandTimeout: Duration = RedisServer.roomyTimeout,
        breakerPause: Duration? = nil,
        lease: Duration = .seconds(1),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        clock: CacheClock = .continuous,
        client custom: RedisConfiguration? = nil,
        logger: Logger? = nil
    ) -> RedisResponseCache {
        let logger =
            logger
            ?? {
                var logger = Logger(label: "bookcat-cache-tests")
                logger.logLevel = .critical
                return logger
            }()
        var configuration = custom ?? clientConfiguration(commandTimeout: commandTimeout)
        if let breakerPause { configuration.openDuration = breakerPause }
        if let proxy { configuration.port = proxy.port }
        return RedisResponseCache(
            client: RedisClient(configuration: configuration, metrics: metrics),
            store: store,
            ttlSeconds: 300,
            memoryBytes: memoryBytes,
            lease: lease,
            keyPrefix: keyPrefix,
            metrics: metrics,
            clock: clock,
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
/// render it got; it shows the fields of `books` (nil: of any book, see ``CachedBody/books``).
public func body(_ text: String, size: Int = 0, showing books: [Int64]? = nil) -> CachedBody {
    CachedBody(bytes: Array(text.utf8) + Array(repeating: UInt8(ascii: " "), count: size), etag: "\"\(text)\"", books: books)
}

/// The versions of a store no test writes: for tests of the cache alone, where every write is the test's own call to
/// ``ResponseCache/invalidateCatalog(after:)``. A test of a store moving behind the cache's back sets them.
public final class UnwrittenStore: StoreVersionSource {
    private struct State {
        var versions = StoreVersions(catalog: 0, sessions: 0)
        /// The in-place change log: entry `n` (from 1) is `log[n - 1]`.
        var log: [Int64] = []
    }

    private let state = NIOLockedValueBox(State())
    /// Alike for every instance unless a test names another: two caches over two of them are two processes of one
    /// catalog, as the tests of the cross-process promise want.
    private let catalog: String

    public init(catalog: String = UnwrittenStore.catalog) {
        self.catalog = catalog
    }

    /// The catalog identity the tests' unwritten stores share by default.
    public static let catalog = "unwritten"

    public func storeVersions() async throws -> StoreVersions { state.withLockedValue { $0.versions } }

    public func catalogIdentity() async throws -> String { catalog }

    public func changedBooks(after: Int64, through: Int64) async throws -> [Int64]? {
        state.withLockedValue { state in
            guard after >= 0, through <= state.log.count, after <= through else { return nil }
            return Array(Set(state.log[Int(after)..<Int(through)])).sorted()
        }
    }

    /// What a write by a process the cache never hears from would do.
    public func set(_ new: StoreVersions) { state.withLockedValue { $0.versions = new } }

    /// An in-place change of `book` (a stock change), as the store logs it; returns the versions after it.
    @discardableResult
    public func changeInPlace(_ book: Int64) -> StoreVersions {
        state.withLockedValue { state in
            state.log.append(book)
            state.versions.bookChanges = Int64(state.log.count)
            return state.versions
        }
    }
}

/// Runs `body` while each of `caches` is kept current (its lease held, the store covered) as every `bookcat serve`
/// process does, once every lease is in force; the holders leave the registry before this returns.
public func holdingLeases<Value: Sendable>(_ caches: [RedisResponseCache], _ body: () async throws -> Value) async throws -> Value {
    let holders = caches.map { cache in Task { await cache.keepCurrent() } }
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
    /// Waits (up to `eventually`'s 30 s) until the lease lets hits skip Redis: it renews every 200 ms, but the whole
    /// suite on two loaded cores once outran five seconds.
    public func untilTrusted() async throws {
        guard try await eventually({ isInForce }, until: { $0 }) else { throw LeaseNeverTrusted() }
    }
}
