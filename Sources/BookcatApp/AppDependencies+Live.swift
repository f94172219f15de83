import BookcatCache
import BookcatCore
import BookcatHTTP
import Logging
import RedisClient

extension AppDependencies {
    /// What `bookcat serve` runs on: the configured store (SQLite, or PostgreSQL with `DATABASE_URL`), and Redis
    /// when `REDIS_URL` is set.
    public static func live(configuration: AppConfiguration, metrics: ServiceMetrics, logger: Logger) throws -> AppDependencies {
        let opened = try ConfiguredStore.open(configuration, logger: logger)
        let store = opened.ports
        logger.info("store: \(opened.description)")
        let prepare: @Sendable () async throws -> Void = { _ = try await opened.migrate() }
        let sweeper = RefreshTokenSweeper(tokens: store.refreshTokens, clock: .system, logger: logger)
        guard let redis = configuration.redis else {
            logger.notice("REDIS_URL is not set: responses are not cached")
            return AppDependencies(store: store, metrics: metrics, services: opened.services + [sweeper], prepare: prepare)
        }
        let client = RedisClient(configuration: redis, metrics: metrics.factory) { misconfigured in
            logger.error("the response cache cannot work with this Redis (health reports \"degraded\"): \(misconfigured)")
        }
        let cache = RedisResponseCache(
            client: client,
            store: store.versions,
            ttlSeconds: configuration.cacheTTL,
            memoryBytes: configuration.cacheMemoryMB << 20,
            keyPrefix: configuration.cacheKeyPrefix,
            metrics: metrics.factory,
            logger: logger
        )
        return AppDependencies(
            store: store,
            cache: cache,
            metrics: metrics,
            // Shut down in reverse order: the store's pool and the Redis client, first here, close their
            // connections after the others stopped.
            services: opened.services + [
                sweeper,
                client,
                RedisReachabilityMonitor(client: client, logger: logger),
                // Which also pays, within a fifth of a lease, any invalidation another process owes (it crashed, or
                // cannot reach Redis).
                CacheKeeper(cache: cache),
            ],
            prepare: prepare
        )
    }
}
