import BookcatTestSupport
import Foundation

extension TestApp {
    /// Two instances on one store (``SharedStore``) and one private Redis: the stand-in for two server processes, each with
    /// its own memory (known generation, remembered sessions).
    static func runTwoInstances(_ test: @Sendable (_ first: TestApp, _ second: TestApp) async throws -> Void) async throws {
        try await runTwoInstances(firstThroughProxy: false) { first, second, _ in try await test(first, second) }
    }

    /// Two instances as above, the first reaching Redis through a ``TCPProxy`` the test can cut (a partial partition:
    /// the first is cut off from Redis, the second is not).
    static func runTwoInstancesWithFirstBehindProxy(
        _ test: @Sendable (_ first: TestApp, _ second: TestApp, _ proxy: TCPProxy) async throws -> Void
    ) async throws {
        try await runTwoInstances(firstThroughProxy: true) { first, second, proxy in try await test(first, second, proxy!) }
    }

    private static func runTwoInstances(
        firstThroughProxy: Bool,
        _ test: @Sendable (_ first: TestApp, _ second: TestApp, _ proxy: TCPProxy?) async throws -> Void
    ) async throws {
        try await RedisServer.with { redis in
            try await SharedStore.with { shared, versions in
                let proxy = firstThroughProxy ? try await TCPProxy.start(toPort: redis.port) : nil
                do {
                    let caches = [redis.responseCache(store: versions, through: proxy), redis.responseCache(store: versions)]
                    // Each holds its lease, as `bookcat serve` does: hits on memory do not ask Redis.
                    try await holdingLeases(caches) {
                        try await TestApp.run(sharing: shared, cache: caches[0]) { first in
                            try await TestApp.run(sharing: shared, cache: caches[1]) { second in
                                try await test(first, second, proxy)
                            }
                        }
                    }
                    await proxy?.stop()
                } catch {
                    await proxy?.stop()
                    throw error
                }
            }
        }
    }
}
