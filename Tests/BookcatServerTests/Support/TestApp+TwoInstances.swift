import BookcatTestSupport
import Foundation

extension TestApp {
    /// Two instances on one database file and one private Redis: the stand-in for two server processes, each with
    /// its own memory (known generation, remembered sessions).
    static func runTwoInstances(_ test: @Sendable (_ first: TestApp, _ second: TestApp) async throws -> Void) async throws {
        try await RedisServer.with { redis in
            let folder = TemporaryFolder("shared")
            defer { folder.remove() }
            let path = folder.databasePath
            let caches = [redis.responseCache(), redis.responseCache()]
            // Each holds its lease, as `bookcat serve` does: hits on memory do not ask Redis.
            try await holdingLeases(caches) {
                try await TestApp.run(databasePath: path, cache: caches[0]) { first in
                    try await TestApp.run(databasePath: path, cache: caches[1]) { second in
                        try await test(first, second)
                    }
                }
            }
        }
    }
}
