import BookcatPostgres
import Foundation

extension AppConfiguration {
    /// This configuration with its store named by `address` instead: `sqlite:PATH` (or a bare path) for a SQLite
    /// file, or a `postgres://` URL as `DATABASE_URL` takes it. What `bookcat copy --from/--to` read.
    ///
    /// A SQLite file must exist: opening a path that does not would make an empty catalog and copy nothing.
    public func withStore(at address: String, option: String) throws(ConfigurationError) -> AppConfiguration {
        var configuration = self
        if address.hasPrefix("postgres://") || address.hasPrefix("postgresql://") {
            do {
                configuration.postgres = try PostgresLocation(url: address)
            } catch {
                throw ConfigurationError(variable: option, problem: error.reason)
            }
            return configuration
        }
        let path = address.hasPrefix("sqlite:") ? String(address.dropFirst("sqlite:".count)) : address
        guard !path.isEmpty else {
            throw ConfigurationError(variable: option, problem: "must be sqlite:PATH or a postgres:// URL")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError(variable: option, problem: "names no SQLite database: \(path) does not exist")
        }
        configuration.postgres = nil
        configuration.databasePath = path
        return configuration
    }
}
