import BookcatCore
import Foundation
import GRDB

/// Owns the SQLite database: opens it in WAL mode with foreign keys on, migrates it, and hands the
/// connection pool to the repositories.
public final class AppDatabase: Sendable {
    /// Shared by every repository so all of them see one consistent store.
    public let writer: DatabasePool
    /// Every repository's writes, grouped into shared commits.
    let commits: GroupCommit

    /// Opens (creating if needed, parent folder included) and migrates the database at `path`.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Writers queue up behind one another instead of failing with SQLITE_BUSY; readers never wait in WAL mode.
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = 8
        self.writer = try DatabasePool(path: path, configuration: configuration)
        self.commits = GroupCommit(writer: writer)
        // GRDB opens WAL databases with `synchronous = NORMAL`, under which a commit is not synced to disk: a power
        // cut or an OS crash can lose writes the API already acknowledged. FULL syncs the log on every commit, so
        // an answered write survives them. Only the writer's connection commits, so it is the one that needs it.
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(writer)
    }

    /// The names of the migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    public var users: some UserRepository { SQLiteUserRepository(writer: writer, commits: commits) }
    public var refreshTokens: some RefreshTokenRepository { SQLiteRefreshTokenRepository(writer: writer, commits: commits) }
    public var tags: some TagRepository { SQLiteTagRepository(writer: writer, commits: commits) }
    public var books: some BookRepository { SQLiteBookRepository(writer: writer, commits: commits) }
    public var loans: some LoanRepository { SQLiteLoanRepository(writer: writer, commits: commits) }
    public func loginThrottle(limits: LoginLimits = LoginLimits()) -> some LoginThrottle {
        SQLiteLoginThrottle(writer: writer, commits: commits, limits: limits)
    }
}

extension AppDatabase: StoreVersionSource {
    public func storeVersions() async throws -> StoreVersions {
        try await writer.unsafeRead { db in
            // One SELECT is atomic: both counters from one snapshot.
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT (SELECT version FROM catalog_version WHERE id = 1), (SELECT epoch FROM session_epoch WHERE id = 1)"
                )
            )
            return StoreVersions(catalog: row?[0] ?? 0, sessions: row?[1] ?? 0)
        }
    }
}

extension AppDatabase: DatabaseHealth {
    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
