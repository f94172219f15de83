import ArgumentParser
import BookcatSQLite
import BookcatServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema, then exit.")

    func run() async throws {
        let configuration = await loadConfiguration()
        let database = try AppDatabase(path: configuration.databasePath)
        let applied = try await database.appliedMigrations()
        try await invalidateCachedPages(configuration: configuration, store: database)
        print("database \(configuration.databasePath) is at migration \(applied.last ?? "none") (\(applied.count) applied)")
    }
}
