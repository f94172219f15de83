import Foundation

extension TestApp {
    /// Two instances on one database file and one private Redis: the stand-in for two server processes, each with
    /// its own memory (known generation, remembered sessions).
    static func runTwoInstances(_ test: @Sendable (_ first: TestApp, _ second: TestApp) async throws -> Void) async throws {
        try await RedisServer.with { redis in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bookcat-shared-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("catalog.sqlite3").path
            try await TestApp.run(databasePath: path, cache: redis.responseCache()) { first in
                try await TestApp.run(databasePath: path, cache: redis.responseCache()) { second in
                    try await test(first, second)
                }
            }
        }
    }
}
