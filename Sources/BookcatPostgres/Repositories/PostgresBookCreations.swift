import BookcatCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Book creations that arrive together, inserted by one statement committed on its own (`create_books`, migration
/// 0012), while the next batch gathers.
///
/// Why: a book's insert triggers keep the search rows, the short-substring log, the book count and the catalog
/// version once per statement, and the counter rows they update are locked until the commit. One book per
/// transaction measured 841 creates/s at 16 writers; a grouped transaction of single inserts with its savepoints
/// and version read was six round trips under those locks. A batch is now one round trip.
///
/// Each creation keeps the answer it would have had alone: created in the order it arrived, or refused for its
/// own taken ISBN (an ISBN taken by an earlier creation of the same batch names that book). When the statement
/// fails, a creation names a tag that does not exist, or a taken ISBN's holder cannot be named (another process
/// committed it a moment ago), those creations are made one by one as grouped writes, which give each its own answer.
final class PostgresBookCreations: Sendable {
    private let client: PostgresClient
    private let logger: Logger
    private let commits: PostgresGroupCommit
    private let committed: CommittedVersions
    private let executor: (any TaskExecutor)?
    private let pending = Mutex(Pending())

    /// At most this many creations in one statement: a burst of thousands waits its turn in batches rather than
    /// making one statement that holds the catalog's locks for long.
    static let batchLimit = 256

    private struct Pending {
        var entries: [Entry] = []
        /// Whether a drain is running; it takes batches until nothing waits.
        var draining = false
        /// Statements run so far (for tests: how creations were grouped).
        var statements = 0
    }

    fileprivate struct Entry: Sendable {
        let draft: BookDraft
        let createdAt: Date
        let answer: @Sendable (Result<Book, any Error>) -> Void
    }

    init(client: PostgresClient, logger: Logger, commits: PostgresGroupCommit, committed: CommittedVersions, executor: (any TaskExecutor)?) {
        self.client = client
        self.logger = logger
        self.commits = commits
        self.committed = committed
        self.executor = executor
    }

    /// Statements run so far.
    var statements: Int {
        pending.withLock { $0.statements }
    }

    func create(_ draft: BookDraft) async throws -> Book {
        try await withCheckedThrowingContinuation { continuation in
            let startsDrain = pending.withLock { pending in
                // Stamped in arrival order under the lock, so creation times follow the ids the batch gives.
                pending.entries.append(Entry(draft: draft, createdAt: Date(), answer: { continuation.resume(with: $0) }))
                defer { pending.draining = true }
                return !pending.draining
            }
            if startsDrain { Task(executorPreference: executor) { await self.drain() } }
        }
    }

    private func drain() async {
        while let batch = takeBatch() {
            await insert(batch)
        }
    }

    /// The next batch, or nil (and the drain marked over) when nothing waits.
    private func takeBatch() -> [Entry]? {
        pending.withLock { pending in
            if pending.entries.isEmpty {
                pending.draining = false
                return nil
            }
            pending.statements += 1
            let batch = Array(pending.entries.prefix(Self.batchLimit))
            pending.entries.removeFirst(batch.count)
            return batch
        }
    }

    private func insert(_ batch: [Entry]) async {
        let results: [Result<Book, any Error>?]
        do {
            results = try await insertTogether(batch)
        } catch {
            logger.debug("a batch of book creations failed as one statement; creating each alone", metadata: ["error": "\(error)"])
            results = Array(repeating: nil, count: batch.count)
        }
        for (entry, result) in zip(batch, results) {
            if let result {
                entry.answer(result)
            } else {
                let commits = commits
                Task(executorPreference: executor) {
                    do {
                        entry.answer(
                            .success(
                                try await commits.write { db in
                                    try await PostgresBookRepository.createAlone(db, entry.draft, createdAt: entry.createdAt)
                                }
                            )
                        )
                    } catch {
                        entry.answer(.failure(error))
                    }
                }
            }
        }
    }

    /// Each entry's result, in order; nil for one to create alone.
    private func insertTogether(_ batch: [Entry]) async throws -> [Result<Book, any Error>?] {
        var results = [Result<Book, any Error>?](repeating: nil, count: batch.count)
        // Tags first, read as they are now. A tag deleted after this read fails the statement (its link's foreign
        // key), and each is made alone.
        let tags = try await existingTags(ids: Array(Set(batch.flatMap(\.draft.tagIDs))))
        var candidates: [Int] = []
        // One naming a tag that is missing is made alone (left nil): alone, a taken ISBN is refused before the tags
        // are looked at, and it keeps that answer.
        for (index, entry) in batch.enumerated() where entry.draft.tagIDs.allSatisfy({ tags[$0] != nil }) {
            candidates.append(index)
        }
        guard !candidates.isEmpty else { return results }
        let drafts = candidates.map { batch[$0].draft }
        var links: (ordinals: [Int64], tags: [Int64]) = ([], [])
        for (ordinal, draft) in drafts.enumerated() {
            for tagID in draft.tagIDs {
                links.ordinals.append(Int64(ordinal + 1))
                links.tags.append(tagID)
            }
        }
        let rows = try await client.query(
            """
            SELECT * FROM create_books(\(drafts.map(\.title))::text[], \(drafts.map(\.author))::text[], \(drafts.map(\.isbn))::text[],
              \(drafts.map { $0.publisher ?? "" })::text[], \(drafts.map { $0.publisher != nil })::bool[],
              \(drafts.map(\.publishedAt.description))::text[], \(drafts.map(\.stock))::int[],
              \(candidates.map { batch[$0].createdAt })::timestamptz[], \(links.ordinals)::bigint[], \(links.tags)::bigint[])
            """,
            logger: logger
        ).decode(CreatedRow.self).collect()
        var versions: StoreVersions?
        for row in rows {
            guard let ordinal = row.0 else {
                if let catalog = row.11, let sessions = row.12, let changes = row.13 {
                    versions = StoreVersions(catalog: catalog, sessions: sessions, bookChanges: changes)
                }
                continue
            }
            let index = candidates[Int(ordinal) - 1]
            let draft = batch[index].draft
            if let holder = row.1 {
                results[index] = .failure(CatalogError.isbnTaken(draft.isbn, byBook: holder))
            } else if let id = row.2, let title = row.3, let author = row.4, let isbn = row.5, let published = row.7, let stock = row.8,
                let createdAt = row.9, let updatedAt = row.10
            {
                let stored = (id, title, author, isbn, row.6, published, stock, createdAt, updatedAt)
                results[index] = Result { try PostgresBookRepository.book(stored, tags: draft.tagIDs.compactMap { tags[$0] }) }
            }
        }
        // The statement committed: the cache must learn its versions before any of these creations is answered.
        guard let versions else { return results.map { _ in .failure(CreateBooksReturnedNoVersions()) } }
        committed.note(versions)
        return results
    }

    /// ord, holder, then the book's columns as ``PostgresBookRepository/columns`` reads them, then the versions.
    private typealias CreatedRow = (
        Int64?, Int64?, Int64?, String?, String?, String?, String?, String?, Int?, Date?, Date?, Int64?, Int64?, Int64?
    )

    /// The tags with these ids, by id.
    private func existingTags(ids: [Int64]) async throws -> [Int64: Tag] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await client.query("SELECT id, name FROM tag WHERE id = ANY(\(ids))", logger: logger).decode((Int64, String).self).collect()
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.0, Tag(id: $0.0, name: $0.1)) })
    }
}

/// `create_books` ended without its versions row: a fault in the function, never the caller's. The statement
/// committed, so its creations are not made again: each is answered with this error (a 500) rather than before
/// the cache could learn of it.
private struct CreateBooksReturnedNoVersions: Error, CustomStringConvertible {
    var description: String { "create_books returned no versions row" }
}
