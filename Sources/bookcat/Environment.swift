import BookcatApp
import BookcatCore
import Foundation
import Logging

/// Variables that replace the process environment and `.env` for the commands run inside `withValue` (a task
/// local, so tests running commands side by side each see their own and never touch the process environment).
enum CommandEnvironment {
    @TaskLocal static var override: [String: String]?
}

/// Loads the configuration or exits with the one-line error that names the variable.
func loadConfiguration() async -> AppConfiguration {
    do {
        if let override = CommandEnvironment.override { return try AppConfiguration.load(from: override) }
        return try AppConfiguration.load()
    } catch {
        FileHandle.standardError.write(Data("bookcat: \(error)\n".utf8))
        exit(78)  // EX_CONFIG
    }
}

/// After a command wrote the database: cached pages from before it must not be served. Warns instead of failing
/// when Redis does not answer, since the servers reconcile on their own.
func invalidateCachedPages(configuration: AppConfiguration, store: any StoreVersionSource) async throws {
    var logger = Logger(label: "bookcat")
    logger.logLevel = .critical
    if try await !reconcileCache(configuration: configuration, store: store, logger: logger) {
        FileHandle.standardError.write(
            Data("bookcat: warning: Redis did not answer; running servers invalidate their cache within a second of reaching it\n".utf8)
        )
    }
}

/// The commands' logger: warnings and errors only, so their output stays what they print.
func commandLogger() -> Logger {
    var logger = Logger(label: "bookcat")
    logger.logLevel = .warning
    return logger
}
