import ArgumentParser
import BookcatApp
import BookcatCore
import Foundation

struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a whole catalog into an empty PostgreSQL database, checked, in one transaction.",
        discussion: """
            Moves accounts (password hashes as they are), tags, books, loans and refresh tokens, keeping every id, so \
            accounts log in and sessions refresh on the new store. The rows are read back before the transaction \
            commits; unless their counts and checksum match the source's, nothing is written. Stop the servers \
            writing to the source first: what they write during the copy is not in it.
            """
    )

    @Option(help: "The catalog to copy: sqlite:PATH, or a postgres:// URL.") var from: String
    @Option(help: "An empty PostgreSQL database, as a postgres:// URL (default: DATABASE_URL).") var to: String?
    @Option(help: "Rows per read and per insert.") var batchSize: Int = 5_000

    func validate() throws {
        guard (1...50_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 50000") }
    }

    func run() async throws {
        let configuration = await loadConfiguration()
        let (source, target): (AppConfiguration, AppConfiguration)
        do {
            source = try configuration.withStore(at: from, option: "--from")
            if let to {
                target = try configuration.withStore(at: to, option: "--to")
            } else if configuration.postgres != nil {
                target = configuration
            } else {
                throw ValidationError("give the target with --to postgres://… (or set DATABASE_URL)")
            }
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let logger = commandLogger()
        let (sourceStore, targetStore) = (try ConfiguredStore.open(source, logger: logger), try ConfiguredStore.open(target, logger: logger))
        let importer = try targetStore.importer
        let batchSize = batchSize
        let started = Date()
        let fingerprint = try await sourceStore.withServices {
            try await targetStore.withServices {
                _ = try await targetStore.migrate()
                let fingerprint = try await CatalogCopy.copy(from: sourceStore.exporter, to: importer, batchSize: batchSize)
                try await invalidateCachedPages(configuration: target, store: targetStore.ports.versions)
                return fingerprint
            }
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print("copied \(sourceStore.description) to \(targetStore.description) in \(seconds) s")
        print("  \(fingerprint.summary)")
        print("  checksum \(fingerprint.checksum), the same read back from both")
    }
}
