import ArgumentParser
import BookcatApp
import BookcatHTTP
import Hummingbird
import Logging
import Metrics
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database and serve the API.")

    func run() async throws {
        let configuration = await loadConfiguration()
        // Bootstrapped here, once per process, never in code the tests call.
        LoggingSystem.bootstrap { label in
            var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = configuration.logLevel
            return handler
        }
        // One factory for the service, injected everywhere; the process-wide system gets the same one, for libraries.
        let metrics = ServiceMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        var logger = Logger(label: "bookcat")
        logger.logLevel = configuration.logLevel

        let app = try await buildApplication(
            configuration: configuration.server,
            dependencies: try AppDependencies.live(configuration: configuration, metrics: metrics, logger: logger),
            logger: logger
        )
        logger.info("serving on http://\(configuration.server.host):\(configuration.server.port) (\(configuration.server.mode.rawValue))")
        if configuration.server.mode == .production, let warning = configuration.server.publicLinks.relativeLinksWarning {
            logger.warning("\(warning)")
        }
        // SIGTERM or SIGINT: stop accepting, let running requests finish (up to HTTP_DRAIN_TIMEOUT), then stop the
        // services in reverse order, Redis client last, and exit 0.
        var lifecycle = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        lifecycle.maximumGracefulShutdownDuration = .seconds(configuration.server.drainTimeout)
        let deadline = DrainDeadline.watch(drainTimeout: .seconds(configuration.server.drainTimeout), logger: logger)
        defer { deadline.cancel() }
        // Requests run on the event loop their connection lives on (see EventLoopAffineExecutor).
        try await withEventLoopAffinity {
            try await ServiceGroup(configuration: lifecycle).run()
        }
    }
}
