import BookcatCache
import BookcatCore
import Logging
import Metrics
import RedisClient

/// For commands that write the database outside a server (`bookcat seed`, `bookcat migrate`): makes every cached
/// body from before their writes unreachable, so running servers do not go on serving them.
///
/// Returns false when Redis is configured but did not answer; servers then catch up on their own (their coverage
/// checks compare the database's versions with the cache's every fifth of a lease).
public func reconcileCache(configuration: AppConfiguration, store: any StoreVersionSource, logger: Logger) async throws -> Bool {
    guard let redis = configuration.redis else { return true }
    // Read before the client exists, so a database that cannot answer leaves no connection behind.
    let versions = try await store.storeVersions()
    // A command's one reconciliation measures nothing anyone reads.
    let client = RedisClient(configuration: redis, metrics: NOOPMetricsHandler.instance)
    // It only publishes versions, so it keeps nothing in memory.
    let cache = RedisResponseCache(
        client: client,
        store: store,
        ttlSeconds: configuration.cacheTTL,
        memoryBytes: 0,
        keyPrefix: configuration.cacheKeyPrefix,
        metrics: NOOPMetricsHandler.instance,
        logger: logger
    )
    await cache.reconcile(with: versions)
    await client.shutdown()
    return !cache.owesInvalidation
}
