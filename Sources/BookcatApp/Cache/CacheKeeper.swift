import BookcatCache
import ServiceLifecycle

/// Keeps the cache current for as long as the server runs (``RedisResponseCache/keepCurrent()``): holds its lease,
/// so hits on bodies in memory need not ask Redis, and keeps the store's versions covered in Redis, so no hit
/// outlives a write another process could not announce. On shutdown the process leaves the reader registry, so no
/// write waits for it.
struct CacheKeeper: Service {
    let cache: RedisResponseCache

    func run() async throws {
        // Cancelled on graceful shutdown; the lease leaves the registry on its way out.
        await cancelWhenGracefulShutdown { await cache.keepCurrent() }
        // A service that ends before shutdown stops the whole server: stay until shutdown.
        try? await gracefulShutdown()
    }
}
