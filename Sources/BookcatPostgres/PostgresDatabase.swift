import BookcatCore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Owns the PostgreSQL store: a pooled client, its migrations, and the ports every repository serves.
///
/// The client is a swift-service-lifecycle `Service` (``service``): the server runs it in its service group; the
/// commands and tests run it for the span of their work with ``run(_:)``. Nothing outside this module sees
/// PostgresNIO.
public final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// The catalog's writes (books, tags, loans), grouped into shared transactions one at a time: they all update
    /// the catalog's counter rows, so two grouped transactions of them at once would only wait on each other, or
    /// deadlock (each holding a book the other's next write wants, measured: loans at 279/s with p99 of 1 s, the
    /// server's deadlock timeout, against 843/s in one lane). The accounts' writes (sign-ups, sessions, login
    /// throttling) are not grouped: they share no counter row, a group would hold one login's throttle rows while
    /// waiting for another's, and one lane made a login's writes wait behind every queued one under load.
    let commits: PostgresGroupCommit
    /// The versions this process's own commits read last.
    let committed = CommittedVersions()
    /// Book creations, inserted together by one statement.
    let creations: PostgresBookCreations

    /// A store on `location` with at most `poolSize` connections per process. Connects lazily: nothing is
    /// opened until the service runs and a query needs a connection. `writesExecutor`: where grouped transactions
    /// run their steps (``PostgresGroupCommit``); the server passes its event-loop executor.
    public init(location: PostgresLocation, poolSize: Int, logger: Logger, writesExecutor: (any TaskExecutor)? = nil) {
        // PostgresNIO writes its start-up message (password included) and every query's arguments (password and
        // token hashes) at debug and trace level: its logs stop at info, whatever the service's level.
        var logger = logger
        logger.logLevel = max(logger.logLevel, .info)
        self.client = PostgresClient(configuration: location.clientConfiguration(poolSize: poolSize), backgroundLogger: logger)
        self.logger = logger
        self.commits = PostgresGroupCommit(client: client, logger: logger, executor: writesExecutor, committed: committed)
        self.creations = PostgresBookCreations(client: client, logger: logger, commits: commits, committed: committed, executor: writesExecutor)
    }

    /// The connection pool's background work; queries wait until it runs.
    public var service: any Service { client }

    /// Runs the connection pool for as long as `body` runs, then closes it: for commands and tests, which have no
    /// service group. Once per value, as the pool cannot be started again once closed.
    public func run<Result: Sendable>(_ body: @Sendable (PostgresDatabase) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The pool must be running before the first query leases a connection (or the client warns): the body
            // starts once the pool's task has.
            let (started, signal) = AsyncStream.makeStream(of: Void.self)
            group.addTask {
                signal.finish()
                await self.client.run()
            }
            for await _ in started {}
            await Task.yield()
            defer { group.cancelAll() }
            return try await body(self)
        }
    }

    /// Applies the migrations not yet applied; safe to run from every replica at once.
    public func migrate() async throws {
        try await PostgresMigrations.migrate(client, logger: logger)
    }

    /// The names of the migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await client.withConnection { connection in try await PostgresMigrations.appliedNames(connection, logger: self.logger) }
    }

    /// The store's ports, every one over this database; login attempts are limited by `loginLimits`, in windows
    /// timed by `clock`.
    public func store(loginLimits: LoginLimits = LoginLimits(), clock: WallClock = .system) -> CatalogStore {
        let sql = SQLRunner(client: client, logger: logger, commits: commits)
        let accounts = SQLRunner(client: client, logger: logger, committed: committed)
        return CatalogStore(
            users: PostgresUserRepository(sql: accounts, clock: clock),
            refreshTokens: PostgresRefreshTokenRepository(sql: accounts),
            tags: PostgresTagRepository(sql: sql),
            books: PostgresBookRepository(sql: sql, creations: creations),
            loans: PostgresLoanRepository(sql: sql),
            loginThrottle: PostgresLoginThrottle(sql: accounts, limits: loginLimits, clock: clock),
            versions: self,
            health: self
        )
    }
}

extension PostgresDatabase: StoreVersionSource {
    public func storeVersions() async throws -> StoreVersions {
        try await client.withConnection { connection in try await Self.versions(Transaction(connection: connection, logger: logger)) }
    }

    /// The highest versions this process's own writes read before their commits (grouped transactions, batches of
    /// creations and account writes all keep theirs), once one has committed: no read after every write (see
    /// ``CommittedVersions``).
    public func versionsCoveringOwnWrites() async throws -> StoreVersions {
        if let versions = committed.current { return versions }
        return try await storeVersions()
    }

    static func versions(_ db: Transaction) async throws -> StoreVersions {
        // One SELECT is one snapshot: every counter as of the same moment.
        let row = try await db.rows(
            """
            SELECT listing_version, (SELECT epoch FROM session_epoch WHERE id = 1), book_changes FROM catalog_version WHERE id = 1
            """
        ).decode((Int64, Int64, Int64).self).firstElement()
        return StoreVersions(catalog: row?.0 ?? 0, sessions: row?.1 ?? 0, bookChanges: row?.2 ?? 0)
    }

    public func catalogIdentity() async throws -> String {
        let identity = try await client.query("SELECT identity FROM catalog_identity WHERE id = 1", logger: logger)
            .decode(String.self).firstElement()
        guard let identity else { throw CatalogIdentityMissing() }
        return identity
    }

    /// The books of the in-place changes after `after` up to `through` (migration 0004 keeps the newest 4096).
    public func changedBooks(after: Int64, through: Int64) async throws -> [Int64]? {
        guard through > after else { return [] }
        let logged = try await client.query(
            "SELECT book_id FROM book_change WHERE seq > \(after) AND seq <= \(through) ORDER BY seq",
            logger: logger
        ).decode(Int64.self).collect()
        return BookChangeLog.books(logged: logged, after: after, through: through)
    }
}

extension PostgresDatabase: DatabaseHealth {
    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }
}
