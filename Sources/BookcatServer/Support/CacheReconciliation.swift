import BookcatCache
import BookcatCore
import Logging
import RedisClient

/// For commands that write the database outside a server (`bookcat seed`, `bookcat migrate`): makes every cached
/// body from before their writes unreachable, so running servers do not go on serving them.
///
/// Returns false when Redis is configured but did not answer; servers then catch up on their own (at start and on
/// every healthy Redis check, by comparing the database's versions with the cache's).
public func reconcileCache(configuration: AppConfiguration, store: any StoreVersionSource, logger: Logger) async throws -> Bool {
    guard let redis = configuration.redis else { return true }
    // Read before the client exists, so a database that cannot answer leaves no connection behind.
    let versions = try await store.storeVersions()
    let client = RedisClient(configuration: redis)
    // It only publishes versions, so it keeps nothing in memory.
    let cache = RedisResponseCache(client: client, ttlSeconds: configuration.cacheTTL, memoryBytes: 0, logger: logger)
    await cache.reconcile(with: versions)
    await client.shutdown()
    return !cache.owesInvalidation
}
