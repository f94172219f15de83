import BookcatTestSupport
import Foundation
import Logging
import Prometheus

@testable import BookcatApp
@testable import BookcatHTTP

extension TestApp {
    /// Runs `body` with the dependencies `bookcat serve` builds (`AppDependencies.live`: a database file in a
    /// temporary folder, Redis at `redis`), `change` applied to the test configuration first. Quiet logs.
    static func withLiveDependencies<Value: Sendable>(
        redis: RedisServer,
        _ change: (inout AppConfiguration) -> Void = { _ in },
        _ body: (AppConfiguration, AppDependencies, Logger) async throws -> Value
    ) async throws -> Value {
        let folder = TemporaryFolder("live")
        defer { folder.remove() }
        var configuration = TestApp.configuration()
        configuration.databasePath = folder.databasePath
        configuration.redis = redis.clientConfiguration()
        change(&configuration)
        var logger = Logger(label: "bookcat-live-tests")
        logger.logLevel = .critical
        let dependencies = try AppDependencies.live(configuration: configuration, metrics: ServiceMetrics(), logger: logger)
        return try await body(configuration, dependencies, logger)
    }
}
