import BookcatCore
import Logging
import PostgresNIO
import Synchronization

/// Runs the write transactions that arrive together as one transaction on one connection, each in its own
/// savepoint, and answers every one of them only after the one commit: PostgreSQL's counterpart of the SQLite
/// store's `GroupCommit`, for the same reasons and with the same promises.
///
/// Why: every write to the catalog updates the same few rows (`catalog_version`, `catalog_stats`, the substring
/// counts), so concurrent writers queue on those rows' locks, each holding them through its own synced commit. A
/// write committed alone measured ~1 ms of database time and 841 writes/s at 16 writers; sharing a transaction
/// shares both the locks and the sync to disk.
///
/// What a write keeps: the writes of one transaction run one after another in the order they arrived, each sees
/// the ones before it in its transaction and every committed one, and one that throws is rolled back to its
/// savepoint alone. A deadlock the server broke rolls the whole transaction back and runs it again, as
/// ``SQLRunner/write(_:)`` retries a transaction alone. If the commit fails, every write in it fails; none has been
/// answered yet. The transaction reads the store's versions last, and once it has committed they are kept
/// (``CommittedVersions``): what the cache must learn before these writes are answered, without another read.
final class PostgresGroupCommit: Sendable {
    private let client: PostgresClient
    private let logger: Logger
    /// Where a drain runs: on the server's event loops, each step of a transaction resumes on the loop that read
    /// the database's answer instead of crossing to another thread (~0.5 ms a statement under load, measured, when
    /// every transaction is a handful of them in a row).
    private let executor: (any TaskExecutor)?
    private let state = Mutex(State())

    private struct State {
        var waiting: [Job] = []
        /// Whether a drain is running; it takes everything waiting, transaction after transaction, until nothing is.
        var draining = false
        /// Transactions committed or attempted so far (for tests: how writes were grouped).
        var transactions = 0
    }

    /// One write of a grouped transaction.
    private struct Job: Sendable {
        /// Runs the write inside the transaction and keeps its own result for `finish`. Throws only when the
        /// transaction itself can no longer go on (its savepoint failed) or must start again (a deadlock).
        let run: @Sendable (Transaction) async throws -> Void
        /// Answers the caller: with the write's own result if the commit succeeded, else with the commit's error.
        let finish: @Sendable ((any Error)?) -> Void
    }

    /// Where a committed transaction's versions are kept.
    private let committed: CommittedVersions

    init(client: PostgresClient, logger: Logger, executor: (any TaskExecutor)? = nil, committed: CommittedVersions) {
        self.client = client
        self.logger = logger
        self.executor = executor
        self.committed = committed
    }

    /// Writes waiting for the next transaction, and the transactions run so far.
    var counts: (waiting: Int, transactions: Int) {
        state.withLock { ($0.waiting.count, $0.transactions) }
    }

    /// Runs `body` in a savepoint of the next grouped transaction and returns its result once that has committed.
    func write<Value: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = Outcome<Value>()
            submit(
                Job(
                    run: { db in outcome.keep(try await Self.inSavepoint(db, body)) },
                    finish: { commitError in
                        if let commitError {
                            continuation.resume(throwing: commitError)
                        } else {
                            continuation.resume(with: outcome.result ?? .failure(GroupedWriteDidNotRun()))
                        }
                    }
                )
            )
        }
    }

    /// Queues a job for the next transaction.
    private func submit(_ job: Job) {
        let startsDrain = state.withLock { state in
            state.waiting.append(job)
            defer { state.draining = true }
            return !state.draining
        }
        if startsDrain { Task(executorPreference: executor) { await self.drain() } }
    }

    /// Runs `body` in a savepoint, rolling back to it when `body` throws: the write's own result, success or
    /// failure. Throws when the savepoint itself fails, which leaves the transaction unusable, and when the server
    /// broke a deadlock or a serialization failure there (``GroupMustRestart``): the locks the group's earlier
    /// writes hold stay held across a rollback to the savepoint, so the write would only wait on the same cycle
    /// again; the whole transaction is rolled back and run again instead, as a transaction alone would be.
    private static func inSavepoint<Value>(_ db: Transaction, _ body: (Transaction) async throws -> Value) async throws -> Result<Value, any Error> {
        try await db.execute("SAVEPOINT grouped_write")
        do {
            let value = try await SQLRunner.mappingErrors { try await body(db) }
            try await db.execute("RELEASE SAVEPOINT grouped_write")
            return .success(value)
        } catch let error as PSQLError where SQLRunner.isRetryable(error) {
            throw GroupMustRestart(cause: error)
        } catch {
            try await db.execute("ROLLBACK TO SAVEPOINT grouped_write")
            try await db.execute("RELEASE SAVEPOINT grouped_write")
            return .failure(error)
        }
    }

    /// Takes what is waiting, transaction after transaction, on one leased connection; a transaction that fails
    /// gives its connection back (it may be broken) and the next one leases another.
    private func drain() async {
        while true {
            do {
                let more = try await client.withConnection { connection in
                    let db = Transaction(connection: connection, logger: logger)
                    while let jobs = takeWaiting() {
                        guard await runTransaction(db, jobs) else { return true }
                    }
                    return false
                }
                if !more { return }
            } catch {
                // No connection: everything waiting fails with that, as a write alone would have. A write that
                // arrives after this starts a drain of its own.
                let jobs = state.withLock { state in
                    defer {
                        state.waiting = []
                        state.draining = false
                    }
                    return state.waiting
                }
                for job in jobs { job.finish(error) }
                return
            }
        }
    }

    /// The jobs waiting, or nil (and the drain marked over) when there are none.
    private func takeWaiting() -> [Job]? {
        state.withLock { state in
            if state.waiting.isEmpty {
                state.draining = false
                return nil
            }
            state.transactions += 1
            defer { state.waiting = [] }
            return state.waiting
        }
    }

    /// One transaction of `jobs`, run again from the start (up to three times in all) when the server broke a
    /// deadlock in it; false if it failed (every job was answered with the failure).
    private func runTransaction(_ db: Transaction, _ jobs: [Job]) async -> Bool {
        var commitError: (any Error)?
        var attempt = 1
        while true {
            do {
                try await db.execute("BEGIN")
                // The catalog's counter rows first, in the order the insert triggers take them: every grouped
                // transaction (of this process or another replica) and every batch of creations then waits on
                // them before holding anything else, so none holds a book another one wants while waiting for
                // them (two groups of loans deadlocked that way).
                try await db.execute(
                    """
                    SELECT (SELECT 1 FROM catalog_stats WHERE id = 1 FOR UPDATE), (SELECT 1 FROM catalog_version WHERE id = 1 FOR UPDATE)
                    """
                )
                for job in jobs { try await job.run(db) }
                let versions = try await PostgresDatabase.versions(db)
                try await db.execute("COMMIT")
                // Noted before any of these writes is answered.
                committed.note(versions)
                commitError = nil
            } catch let restart as GroupMustRestart {
                _ = try? await db.execute("ROLLBACK")
                if attempt < 3 {
                    attempt += 1
                    continue
                }
                commitError = restart.cause
            } catch {
                commitError = error
                _ = try? await db.execute("ROLLBACK")
            }
            break
        }
        for job in jobs { job.finish(commitError) }
        return commitError == nil
    }
}

/// The server broke a deadlock or a serialization failure inside a grouped transaction: it is rolled back whole
/// and run again.
private struct GroupMustRestart: Error {
    let cause: PSQLError
}

/// A grouped write's job finished without running it: a fault in this type, never the caller's.
struct GroupedWriteDidNotRun: Error, CustomStringConvertible {
    var description: String { "a grouped write did not run" }
}

/// One grouped write's result, set inside the transaction and read after its commit: never at once, so its lock is
/// never contended; it is there so the compiler can check the hand-over.
final class Outcome<Value: Sendable>: Sendable {
    private let stored = Mutex<Result<Value, any Error>?>(nil)

    func keep(_ result: Result<Value, any Error>) {
        stored.withLock { $0 = result }
    }

    var result: Result<Value, any Error>? {
        stored.withLock { $0 }
    }
}
