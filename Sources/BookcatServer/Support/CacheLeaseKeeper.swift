import BookcatCache
import ServiceLifecycle

/// Holds the cache's lease (``CacheLease``) for as long as the server runs, so hits on bodies in memory need not ask
/// Redis; on shutdown the process leaves the reader registry, so no write waits for it.
struct CacheLeaseKeeper: Service {
    let lease: CacheLease

    func run() async throws {
        // Cancelled on graceful shutdown; `hold` leaves the registry on its way out.
        await cancelWhenGracefulShutdown { await lease.hold() }
        // `hold` returns at once when there is nothing to hold (`CACHE_MEMORY_MB=0`), and a service that ends before
        // shutdown stops the whole server: stay until shutdown.
        try? await gracefulShutdown()
    }
}
