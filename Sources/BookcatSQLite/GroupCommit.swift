import BookcatCore
import Foundation
import GRDB
import Synchronization

/// Runs the write transactions that arrive together as one transaction, each in its own savepoint, and answers
/// every one of them only after the one commit, so that concurrent writes share its sync to disk.
///
/// Every commit is synced (see ``AppDatabase``), which made a write cost about 300 µs more than the same write
/// committed alongside others. Writes keep the meaning they had one transaction each: they run one after another in
/// the order they arrived, each sees the ones before it, and one that throws is rolled back to its savepoint alone,
/// without touching the others. If the commit itself fails, every write in it fails; none has been answered yet.
///
/// Each transaction also reads the store's versions last, and once it has committed they are kept
/// (``committedVersions``): the versions the cache must learn before these writes are answered, without another read.
final class GroupCommit: Sendable {
    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    fileprivate struct State {
        var waiting: [Job] = []
        /// Whether a drain is queued or running on the writer; it takes everything waiting until nothing is.
        var draining = false
        /// Transactions committed or attempted so far (for tests: how writes were grouped).
        var transactions = 0
        /// The versions the newest committed transaction read last.
        var committedVersions: StoreVersions?
    }

    fileprivate struct Job: Sendable {
        /// Runs the write in a savepoint, keeping its result or error for `finish`.
        let run: @Sendable (Database) -> Void
        /// Answers the caller: with the write's own result if the commit succeeded, else with the commit's error.
        let finish: @Sendable ((any Error)?) -> Void
    }

    /// The versions the newest committed transaction ended with, or nil before the first commit.
    var committedVersions: StoreVersions? {
        state.withLock { $0.committedVersions }
    }

    /// Writes waiting for the next transaction, and the transactions run so far.
    var counts: (waiting: Int, transactions: Int) {
        state.withLock { ($0.waiting.count, $0.transactions) }
    }

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    func write<Value: Sendable>(_ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = Outcome<Value>()
            let job = Job(
                run: { db in
                    // A savepoint by statements the connection keeps prepared: `inSavepoint` compiles its SQL on
                    // every call, which showed in a created book's profile.
                    do {
                        try db.cachedStatement(sql: "SAVEPOINT grouped_write").execute()
                        do {
                            let value = try body(db)
                            outcome.result.withLock { $0 = .success(value) }
                        } catch {
                            outcome.result.withLock { $0 = .failure(error) }
                            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT grouped_write").execute()
                        }
                        try db.cachedStatement(sql: "RELEASE SAVEPOINT grouped_write").execute()
                    } catch {
                        outcome.result.withLock { $0 = .failure(error) }
                    }
                },
                finish: { commitError in
                    if let commitError {
                        continuation.resume(throwing: Self.answerable(commitError))
                    } else {
                        continuation.resume(with: outcome.result.withLock { $0 } ?? .failure(DatabaseError(message: "a grouped write did not run")))
                    }
                }
            )
            let startsDrain = state.withLock { state in
                state.waiting.append(job)
                defer { state.draining = true }
                return !state.draining
            }
            if startsDrain { drain() }
        }
    }

    /// A commit that could not take the write lock within the busy timeout (another process, such as a backup or
    /// a second server on the file, held it) did nothing: a 503 to retry, not a failure of the service.
    static func answerable(_ error: any Error) -> any Error {
        guard let database = error as? DatabaseError, [.SQLITE_BUSY, .SQLITE_LOCKED].contains(database.resultCode) else { return error }
        return CatalogError.unavailable("the database is busy with another writer; nothing was written, try again")
    }

    private func drain() {
        writer.asyncWriteWithoutTransaction { [self] db in
            while true {
                let jobs = state.withLock { state in
                    defer { state.waiting = [] }
                    if state.waiting.isEmpty { state.draining = false } else { state.transactions += 1 }
                    return state.waiting
                }
                if jobs.isEmpty { return }
                var commitError: (any Error)?
                do {
                    var versions: StoreVersions?
                    try db.inTransaction(.immediate) {
                        for job in jobs { job.run(db) }
                        versions = try AppDatabase.versions(db)
                        return .commit
                    }
                    // Set before any of these writes is answered; versions only grow (one writer commits at a time).
                    state.withLock { $0.committedVersions = versions }
                } catch {
                    commitError = error
                }
                for job in jobs { job.finish(commitError) }
            }
        }
    }
}

/// One grouped write's result, written by the writer's queue before the commit and read after it: never at once,
/// so its lock is never contended; it is there so the compiler can check the hand-over.
private final class Outcome<Value: Sendable>: Sendable {
    let result = Mutex<Result<Value, any Error>?>(nil)
}
