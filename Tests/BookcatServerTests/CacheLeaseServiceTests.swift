import BookcatCore
import BookcatTestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("The lease as a service of the server")
struct CacheLeaseServiceTests {
    /// With the memory tier off there is no lease to hold; the service must still run until shutdown, since a
    /// service that ends early stops the whole server (which once kept `CACHE_MEMORY_MB=0` servers from starting).
    @Test(arguments: [0, 32])
    func theLiveServicesRunUntilShutdown(memoryMB: Int) async throws {
        try await RedisServer.with { redis in
            try await TestApp.withLiveDependencies(redis: redis, { $0.cacheMemoryMB = memoryMB }) { _, dependencies, logger in
                let watched = dependencies.services.map(WatchedService.init)
                let services = ServiceGroup(services: watched, gracefulShutdownSignals: [], logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    let running = try await eventually {
                        watched.filter(\.hasStarted).count
                    } until: {
                        $0 == watched.count
                    }
                    #expect(running == watched.count)
                    let endedEarly = watched.filter(\.hasReturned).map(\.name)
                    #expect(endedEarly.isEmpty, "ended before the shutdown: \(endedEarly)")
                    await services.triggerGracefulShutdown()
                    // Throws if a service ended before the shutdown.
                    try await group.waitForAll()
                }
            }
        }
    }
}

/// A service that tells whether it has started running and whether it has returned.
private final class WatchedService: Service {
    private let service: any Service
    private let state = NIOLockedValueBox((started: false, returned: false))

    init(_ service: any Service) { self.service = service }

    var name: String { String(describing: type(of: service)) }
    var hasStarted: Bool { state.withLockedValue { $0.started } }
    var hasReturned: Bool { state.withLockedValue { $0.returned } }

    func run() async throws {
        state.withLockedValue { $0.started = true }
        defer { state.withLockedValue { $0.returned = true } }
        try await service.run()
    }
}
