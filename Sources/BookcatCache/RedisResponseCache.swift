import BookcatCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import RedisClient

/// The response cache in Redis: one round trip per hit, generation-based O(1) invalidation, and reads that fall
/// back to the database (`X-Cache: ERROR`) whenever Redis is slow, down or refusing.
public final class RedisResponseCache: ResponseCache {
    private let client: RedisClient
    private let keys: CacheKeys
    private let ttlSeconds: Int
    private let logger: Logger
    private let fills = FillCoalescer()
    /// Set when an invalidation could not reach Redis: the next read must invalidate first, or it could serve a
    /// body from before that write.
    private let invalidationOwed = NIOLockedValueBox(false)

    private let hits = Counter(label: "cache_hits_total")
    private let misses = Counter(label: "cache_misses_total")
    private let bypasses = Counter(label: "cache_bypasses_total")
    private let errors = Counter(label: "cache_errors_total")
    private let invalidations = Counter(label: "cache_invalidations_total")

    public init(client: RedisClient, ttlSeconds: Int, keyPrefix: String = "bookcat", logger: Logger) {
        self.client = client
        self.keys = CacheKeys(prefix: keyPrefix)
        self.ttlSeconds = ttlSeconds
        self.logger = logger
    }

    public func body(
        for key: String,
        policy: CachePolicy,
        fill: @escaping @Sendable () async throws -> CachedBody
    ) async throws -> (body: CachedBody, outcome: CacheOutcome) {
        if policy == .bypass {
            bypasses.increment()
            return (try await fill(), .bypass)
        }
        let hashedKey = keys.hashed(key)
        let generation: String
        do {
            try await payInvalidationOwed()
            let (currentGeneration, stored) = try await read(hashedKey)
            if policy == .normal, let stored, let body = CachedBodyCodec.decode(stored) {
                hits.increment()
                return (body, .hit)
            }
            generation = currentGeneration
        } catch {
            errors.increment()
            logger.debug("cache read failed; serving from the database", metadata: ["error": "\(error)"])
            return (try await fill(), .error)
        }

        let entryKey = keys.entry(generation: generation, hashedKey: hashedKey)
        let (body, ranFill) = try await fills.run(entryKey, fill: fill)
        misses.increment()
        if ranFill {
            do {
                _ = try await client.send([
                    "SET", RedisArgument(entryKey), RedisArgument(bytes: CachedBodyCodec.encode(body)), "EX", RedisArgument(ttlSeconds),
                ]).checked()
            } catch {
                errors.increment()
                logger.debug("cache store failed", metadata: ["error": "\(error)"])
            }
        }
        return (body, .miss)
    }

    public func invalidateCatalog() async {
        do {
            try await bumpGeneration()
            invalidationOwed.withLockedValue { $0 = false }
        } catch {
            invalidationOwed.withLockedValue { $0 = true }
            errors.increment()
            logger.warning("cache invalidation failed; the next cache read invalidates first", metadata: ["error": "\(error)"])
        }
    }

    public func health() async -> CacheHealth {
        do {
            _ = try await client.send("PING").checked()
            return .ok
        } catch {
            return .unavailable(reason: client.describeFailure(error))
        }
    }

    // MARK: - Redis operations

    private func payInvalidationOwed() async throws {
        guard invalidationOwed.withLockedValue({ $0 }) else { return }
        try await bumpGeneration()
        invalidationOwed.withLockedValue { $0 = false }
        logger.info("cache invalidated after Redis became reachable again")
    }

    private func bumpGeneration() async throws {
        _ = try await client.evaluate(.invalidate, keys: [keys.generation], arguments: [])
        invalidations.increment()
    }

    private func read(_ hashedKey: String) async throws -> (generation: String, stored: [UInt8]?) {
        let reply = try await client.evaluate(.read, keys: [keys.generation], arguments: [RedisArgument(keys.entryPrefix), RedisArgument(hashedKey)])
        guard case .array(let values) = reply, values.count == 2, let generation = values[0].string else {
            throw RedisError.protocolError("unexpected reply to the cache read script: \(reply)")
        }
        return (generation, values[1].bytes)
    }

}
