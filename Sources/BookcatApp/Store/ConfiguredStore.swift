import BookcatCore
import BookcatHTTP
import BookcatPostgres
import BookcatSQLite
import Logging
import ServiceLifecycle

/// The store the configuration names, opened: PostgreSQL when `DATABASE_URL` is set, else the SQLite file at
/// `DATABASE_PATH`. What `bookcat serve` and every command use, so they all agree on which store they mean.
public struct ConfiguredStore: Sendable {
    private enum Backend: Sendable {
        case sqlite(AppDatabase, path: String)
        case postgres(PostgresDatabase)
    }

    private let backend: Backend
    private let loginLimits: LoginLimits
    private let clock: WallClock
    /// Where the store is, for messages: a path, or a URL without its password.
    public let description: String

    /// Opens the configured store. SQLite is migrated on opening; PostgreSQL connects lazily and migrates in
    /// ``migrate()``, once its ``services`` run.
    public static func open(_ configuration: AppConfiguration, clock: WallClock = .system, logger: Logger) throws -> ConfiguredStore {
        if let location = configuration.postgres {
            let database = PostgresDatabase(
                location: location,
                poolSize: configuration.databasePoolSize,
                logger: logger,
                writesExecutor: EventLoopAffineExecutor()
            )
            return ConfiguredStore(backend: .postgres(database), loginLimits: configuration.loginLimits, clock: clock, description: location.redacted)
        }
        let database = try AppDatabase(path: configuration.databasePath)
        return ConfiguredStore(
            backend: .sqlite(database, path: configuration.databasePath),
            loginLimits: configuration.loginLimits,
            clock: clock,
            description: configuration.databasePath
        )
    }

    /// The store's ports.
    public var ports: CatalogStore {
        switch backend {
        case .sqlite(let database, _): database.store(loginLimits: loginLimits, clock: clock)
        case .postgres(let database): database.store(loginLimits: loginLimits, clock: clock)
        }
    }

    /// Background work the store needs while it is used: PostgreSQL's connection pool. SQLite needs none.
    public var services: [any Service] {
        switch backend {
        case .sqlite: []
        case .postgres(let database): [database.service]
        }
    }

    /// Brings the schema up to date and returns the names of the migrations applied, oldest first.
    public func migrate() async throws -> [String] {
        switch backend {
        case .sqlite(let database, _):
            return try await database.appliedMigrations()
        case .postgres(let database):
            try await database.migrate()
            return try await database.appliedMigrations()
        }
    }

    /// Adds the synthetic catalog (the same books for the same seed on either store).
    public func seed(books: Int, tags: Int, seed: UInt64, progress: @Sendable @escaping (Int) -> Void) async throws -> SeedSummary {
        switch backend {
        case .sqlite(let database, _): try await CatalogSeeder(database: database).seed(books: books, tags: tags, seed: seed, progress: progress)
        case .postgres(let database): try await database.seed(books: books, tags: tags, seed: seed, progress: progress)
        }
    }

    /// Every row of the store, read out for a copy (``CatalogCopy``).
    public var exporter: any CatalogExporting {
        switch backend {
        case .sqlite(let database, _): database
        case .postgres(let database): database
        }
    }

    /// The store as the target of an import from outside bookcat (``DjangoCatalog``): either store, empty.
    public var importTarget: any CatalogImporting {
        switch backend {
        case .sqlite(_, let path): SQLiteCatalogImporter(path: path)
        case .postgres(let database): database
        }
    }

    /// The store as the target of a copy: PostgreSQL only, as SQLite is where a catalog moves up from.
    public var importer: any CatalogImporting {
        get throws {
            switch backend {
            case .sqlite: throw CatalogCopy.Failure.targetCannotImport(description)
            case .postgres(let database): database
            }
        }
    }

    /// Runs `body` while the store's ``services`` run: for commands, which have no service group.
    public func withServices<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        switch backend {
        case .sqlite: try await body()
        case .postgres(let database): try await database.run { _ in try await body() }
        }
    }
}
