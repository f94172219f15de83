import BookcatCore
import Logging
import PostgresNIO

/// How the repositories reach the database: single statements, write transactions and read snapshots, with the
/// server's refusals turned into the domain's errors.
struct SQLRunner: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Where the store's writes share transactions (``PostgresGroupCommit``); nil for work that runs one large
    /// transaction of its own, such as seeding or a catalog copy.
    var commits: PostgresGroupCommit?
    /// Where a write that is not grouped keeps the versions it read before its commit (the store's writes do, so the
    /// cache learns of each before it is answered; see ``CommittedVersions``).
    var committed: CommittedVersions?

    init(client: PostgresClient, logger: Logger, commits: PostgresGroupCommit? = nil, committed: CommittedVersions? = nil) {
        self.client = client
        self.logger = logger
        self.commits = commits
        self.committed = committed
    }

    /// Runs `body`'s statements on one pooled connection, outside any transaction: for reads that are one
    /// statement (each statement sees one snapshot).
    func read<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        try await Self.mappingErrors {
            try await client.withConnection { connection in try await body(Transaction(connection: connection, logger: logger)) }
        }
    }

    /// Runs `body` in one transaction (READ COMMITTED), committed when it returns and rolled back when it throws.
    /// A deadlock the server broke is retried: it rolled back everything the attempt did. With ``commits``, the
    /// transaction is a savepoint of a grouped one, with the same meaning.
    func write<Result: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> Result) async throws -> Result {
        if let commits { return try await commits.write(body) }
        return try await writeAlone(body)
    }

    /// Runs `body` in one transaction of its own, never grouped with others: for large writes such as a catalog
    /// copy, which would hold every other write back.
    func writeAlone<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await Self.mappingErrors {
                    do {
                        let keepsVersions = committed != nil
                        let (result, versions) = try await client.withTransaction(logger: logger) { connection in
                            let db = Transaction(connection: connection, logger: logger)
                            let result = try await body(db)
                            return (result, keepsVersions ? try await PostgresDatabase.versions(db) : nil)
                        }
                        if let versions { committed?.note(versions) }
                        return result
                    } catch let error as PostgresTransactionError {
                        // The body's own error (a conflict, a missing row) is what callers handle; the wrapper only
                        // adds that the transaction was rolled back, which every thrown error means here.
                        throw error.closureError ?? error.commitError ?? error.beginError ?? error
                    }
                }
            } catch let error as PSQLError where Self.isRetryable(error) && attempt < 3 {
                attempt += 1
            }
        }
    }

    /// Runs `body`'s reads against one snapshot (REPEATABLE READ, READ ONLY): a count and the page it counts agree.
    func snapshot<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        try await Self.mappingErrors {
            try await client.withConnection { connection in
                try await connection.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                do {
                    let result = try await body(Transaction(connection: connection, logger: logger))
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        // serialization_failure, deadlock_detected
        ["40001", "40P01"].contains(error.serverInfo?[.sqlState])
    }

    /// A unique index the database enforced, as the conflict the repositories promise (the prior checks make this
    /// rare: it is two writers racing for the same name).
    static func mappingErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw {
            throw CatalogError.conflict(Self.conflictMessage(constraint: error.serverInfo?[.constraintName]))
        }
    }

    private static func conflictMessage(constraint: String?) -> String {
        switch constraint {
        case "user_on_email": AccountConflict.emailTaken
        case "user_on_username", "user_on_username_key": AccountConflict.usernameTaken
        case "tag_on_name": "a tag with that name already exists"
        case "book_isbn_key": "a book with that ISBN already exists"
        default: "the write conflicts with an existing record"
        }
    }
}

/// One connection inside a transaction or snapshot.
struct Transaction {
    let connection: PostgresConnection
    let logger: Logger

    /// The rows of one statement, to decode with `.decode((Int64, String).self)` and collect.
    func rows(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger)
    }

    /// Runs a statement to its end and returns how many rows it returned: with `RETURNING`, how many it changed.
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger) { count += 1 }
        return count
    }
}

extension AsyncSequence {
    /// Every element, in order.
    func collect() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }

    /// The first element, if any. Reads to the end all the same, so the connection is left ready for the next
    /// statement.
    func firstElement() async throws -> Element? {
        var first: Element?
        for try await element in self where first == nil { first = element }
        return first
    }
}
