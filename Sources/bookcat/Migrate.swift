import ArgumentParser
import BookcatApp
import BookcatCore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema, then exit.")

    func run() async throws {
        let configuration = await loadConfiguration()
        let store = try ConfiguredStore.open(configuration, logger: commandLogger())
        let applied = try await store.withServices {
            let applied = try await store.migrate()
            try await invalidateCachedPages(configuration: configuration, store: store.ports.versions)
            return applied
        }
        print("database \(store.description) is at migration \(applied.last ?? "none") (\(applied.count) applied)")
    }
}
