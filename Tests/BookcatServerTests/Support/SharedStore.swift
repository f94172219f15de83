import BookcatCore
import BookcatPostgres
import BookcatSQLite
import BookcatTestSupport
import Logging

/// One store that several applications open, as several server processes open one: a SQLite file, or a fresh
/// PostgreSQL database when the behaviour tests run on PostgreSQL (``TestApp/StoreKind``).
enum SharedStore: Sendable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Runs `body` with a new, migrated shared store and a connection of its own to it, for what reads the store
    /// beside the applications (the caches' coverage checks, the catalog's identity); removes the store's files
    /// afterwards (a PostgreSQL database goes with the test process's cluster).
    static func with<Value: Sendable>(
        _ kind: TestApp.StoreKind = .configured,
        _ body: @Sendable (SharedStore, _ versions: any StoreVersionSource) async throws -> Value
    ) async throws -> Value {
        switch kind {
        case .sqlite:
            let folder = TemporaryFolder("shared")
            defer { folder.remove() }
            // Opening it migrates it: the caches' coverage checks read its versions from the start.
            let database = try AppDatabase(path: folder.databasePath)
            return try await body(.sqlite(path: folder.databasePath), database)
        case .postgres:
            let location = try await PostgresCluster.shared.freshDatabase()
            return try await PostgresDatabase(location: location, poolSize: 2, logger: Logger(label: "bookcat-shared-store")).run { database in
                try await database.migrate()
                return try await body(.postgres(location), database)
            }
        }
    }
}
