import BookcatCore
import Foundation
import GRDB

/// Owns the SQLite database: migrates it and hands one writer to every repository.
///
/// Built from any GRDB writer (a WAL file pool in production, an in-memory queue in tests), like GRDB's demo app.
/// The writer stays inside this module: everything else reaches the data through ``store(loginLimits:)``'s ports.
public final class AppDatabase: Sendable {
    /// Shared by every repository so all of them see one consistent store.
    let writer: any DatabaseWriter
    /// Every repository's writes, grouped into shared commits.
    let commits: GroupCommit

    /// Migrates `writer`'s database and serves from it.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        self.commits = GroupCommit(writer: writer)
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating if needed, parent folder included) and migrates the database file at `path`.
    public convenience init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Writers queue up behind one another instead of failing with SQLITE_BUSY; readers never wait in WAL mode.
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = 8
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB opens WAL databases with `synchronous = NORMAL`, under which a commit is not synced to disk: a power
        // cut or an OS crash can lose writes the API already acknowledged. FULL syncs the log on every commit, so
        // an answered write survives them. Only the writer's connection commits, so it is the one that needs it.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try self.init(pool)
    }

    /// A private database in memory, gone with this value: for tests that need a store and no file.
    public static func inMemory() throws -> AppDatabase {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        return try AppDatabase(DatabaseQueue(configuration: configuration))
    }

    /// The names of the migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// The store's ports, every one over this database; login attempts are limited by `loginLimits`, in windows
    /// timed by `clock`.
    public func store(loginLimits: LoginLimits = LoginLimits(), clock: WallClock = .system) -> CatalogStore {
        CatalogStore(
            users: SQLiteUserRepository(writer: writer, commits: commits, clock: clock),
            refreshTokens: SQLiteRefreshTokenRepository(writer: writer, commits: commits),
            tags: SQLiteTagRepository(writer: writer, commits: commits),
            books: SQLiteBookRepository(writer: writer, commits: commits),
            loans: SQLiteLoanRepository(writer: writer, commits: commits),
            loginThrottle: SQLiteLoginThrottle(writer: writer, commits: commits, limits: loginLimits, clock: clock),
            versions: self,
            health: self
        )
    }
}

extension AppDatabase: StoreVersionSource {
    public func storeVersions() async throws -> StoreVersions {
        try await writer.unsafeRead { db in try Self.versions(db) }
    }

    /// The versions every grouped commit read in its own transaction, once this process has committed one: no
    /// read, and no hop to a reader's thread, after every write (see ``GroupCommit``).
    public func versionsCoveringOwnWrites() async throws -> StoreVersions {
        if let committed = commits.committedVersions { return committed }
        return try await storeVersions()
    }

    public func catalogIdentity() async throws -> String {
        let identity = try await writer.read { db in try String.fetchOne(db, sql: "SELECT identity FROM catalog_identity WHERE id = 1") }
        guard let identity else { throw CatalogIdentityMissing() }
        return identity
    }

    public func changedBooks(after: Int64, through: Int64) async throws -> [Int64]? {
        try await writer.unsafeRead { db in try InPlaceBookChanges.changedBooks(db, after: after, through: through) }
    }

    static func versions(_ db: Database) throws -> StoreVersions {
        // One SELECT is atomic: every counter from one snapshot.
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT listing_version, (SELECT epoch FROM session_epoch WHERE id = 1), book_changes
                    FROM catalog_version WHERE id = 1
                    """
            )
        )
        return StoreVersions(catalog: row?[0] ?? 0, sessions: row?[1] ?? 0, bookChanges: row?[2] ?? 0)
    }
}

extension AppDatabase: DatabaseHealth {
    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
