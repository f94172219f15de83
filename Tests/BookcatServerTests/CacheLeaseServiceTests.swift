import BookcatCore
import BookcatTestSupport
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

@testable import BookcatServer

@Suite("The lease as a service of the server")
struct CacheLeaseServiceTests {
    /// With the memory tier off there is no lease to hold; the service must still run until shutdown, since a
    /// service that ends early stops the whole server (which once kept `CACHE_MEMORY_MB=0` servers from starting).
    @Test(arguments: [0, 32])
    func theLiveServicesRunUntilShutdown(memoryMB: Int) async throws {
        try await RedisServer.with { redis in
            try await TestApp.withLiveDependencies(redis: redis, { $0.cacheMemoryMB = memoryMB }) { _, dependencies, logger in
                let services = ServiceGroup(services: dependencies.services, gracefulShutdownSignals: [], logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    try await Task.sleep(for: .milliseconds(500))
                    await services.triggerGracefulShutdown()
                    // Throws if a service ended before the shutdown.
                    try await group.waitForAll()
                }
            }
        }
    }
}
