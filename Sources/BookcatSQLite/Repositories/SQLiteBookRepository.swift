import BookcatCore
import Foundation
import GRDB

struct SQLiteBookRepository: BookRepository {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit
    /// See `OrderWalk.collectCheaply`; tests lower it to drive every plan over a small catalog.
    var collectCheaply = OrderWalk.collectCheaply

    // MARK: - Writes

    func create(_ draft: BookDraft) async throws -> Book {
        try await commits.write { db in
            let now = Date()
            try ensureISBNAvailable(db, isbn: draft.isbn, exceptID: nil)
            let tags = try existingTags(db, ids: draft.tagIDs)
            var record = BookRecord(draft: draft, createdAt: now, updatedAt: now)
            try record.insertPrepared(db)
            // A new id has no tags to replace: ids are never reused (AUTOINCREMENT).
            try addTags(db, bookID: record.id!, tagIDs: draft.tagIDs)
            return try record.book(tags: tags)
        }
    }

    func update(id: Int64, _ change: @escaping @Sendable (Book) throws -> BookDraft) async throws -> Book {
        try await commits.write { db in
            guard let current = try BookRecord.fetchOne(db, id: id) else { throw CatalogError.noSuchBook(id) }
            let currentTags = try BookTags.fetch(db, bookIDs: [id])[id] ?? []
            let draft = try change(try current.book(tags: currentTags))
            try ensureISBNAvailable(db, isbn: draft.isbn, exceptID: id)
            let tags = try existingTags(db, ids: draft.tagIDs)
            let record = BookRecord(draft: draft, createdAt: current.createdAt, updatedAt: Date(), id: id)
            try record.update(db)
            try replaceTags(db, bookID: id, current: currentTags.map(\.id), with: draft)
            return try record.book(tags: tags)
        }
    }

    func delete(id: Int64) async throws {
        try await commits.write { db in
            let onLoan =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COALESCE(SUM(quantity), 0) FROM loan WHERE book_id = ? AND is_returned = 0",
                    arguments: [id]
                ) ?? 0
            if onLoan > 0 {
                throw CatalogError.bookHasCopiesOnLoan(id, onLoan: onLoan)
            }
            guard try BookRecord.deleteOne(db, key: id) else { throw CatalogError.noSuchBook(id) }
        }
    }

    // MARK: - Reads

    func book(id: Int64) async throws -> Book? {
        try await writer.read { db in
            guard let record = try BookRecord.fetchOne(db, id: id) else { return nil }
            return try record.book(tags: try BookTags.fetch(db, bookIDs: [id])[id] ?? [])
        }
    }

    func page(_ query: BookListQuery) async throws -> BookPage {
        let filter = BookFilterSQL(query)
        let collectCheaply = collectCheaply
        return try await writer.read { db in
            // One read transaction: the count and the rows come from the same snapshot.
            // Cached statements throughout: a page's SQL comes in a bounded number of shapes (orderings, kinds of
            // filter, numbers of tags), and preparing each again on every miss cost as much as running it.
            if let split = filter.titleStart, let page = try Self.page(db, split, query, collectCheaply: collectCheaply) {
                return page
            }
            if let tags = filter.tagsToIntersect {
                let matches = try Self.books(db, taggedWithEvery: tags)
                if matches.count <= collectCheaply {
                    return try Self.page(db, of: matches, filter, query)
                }
            }
            let count = try Int.fetchOne(db.cachedStatement(sql: filter.countSQL), arguments: filter.countArguments) ?? 0
            // A page past the end holds nothing, which the count already proves: walking to its offset cost
            // seconds at a million books (the second audit: 2.4–3.8 s for each such 404).
            if query.offset >= count { return BookPage(books: [], totalCount: count) }
            let records = try Self.pageRecords(db, filter, query, matches: count, collectCheaply: collectCheaply)
            return try BookPage(books: Self.books(db, records), totalCount: count)
        }
    }

    // MARK: - Helpers

    /// The page's rows by the cheapest plan the count allows; each plan gives the same rows.
    private static func pageRecords(
        _ db: Database,
        _ filter: BookFilterSQL,
        _ query: BookListQuery,
        matches: Int,
        collectCheaply: Int
    ) throws -> [BookRecord] {
        let needed = query.offset + query.pageSize
        if filter.isUnfiltered {
            // The count is every book's: a page past the middle is nearer from the other end.
            if let farEnd = FarEndPage.plan(count: matches, offset: query.offset, limit: query.pageSize) {
                let ids = try Int64.fetchAll(db.cachedStatement(sql: filter.farEndPageSQL), arguments: [farEnd.limit, farEnd.offset])
                return try records(db, ids: ids.reversed())
            }
            let ids = try Int64.fetchAll(db.cachedStatement(sql: filter.indexPageSQL), arguments: [query.pageSize, query.offset])
            return try records(db, ids: ids)
        }
        if let walk = filter.walkSQL,
            let window = OrderWalk.window(matches: matches, total: try catalogSize(db), needed: needed, collectCheaply: collectCheaply)
        {
            let ids = try Int64.fetchAll(db.cachedStatement(sql: walk), arguments: [window] + filter.rowTestArguments + [needed])
            // Exact only if the window held every match up to the page's end (or every match there is).
            if ids.count == min(needed, matches) { return try records(db, ids: Array(ids.dropFirst(query.offset))) }
        }
        if matches > collectCheaply, let walk = filter.coveredWalkSQL {
            let ids = try Int64.fetchAll(db.cachedStatement(sql: walk), arguments: filter.rowTestArguments + [query.pageSize, query.offset])
            return try records(db, ids: ids)
        }
        return try BookRecord.fetchAll(db.cachedStatement(sql: filter.collectSQL), arguments: filter.arguments + [query.pageSize, query.offset])
    }

    /// The page of a title filter under the title order from its two halves, or nil when the half that does not
    /// start with the text is too large to collect.
    private static func page(_ db: Database, _ split: TitleStartSplit, _ query: BookListQuery, collectCheaply: Int) throws -> BookPage? {
        let rest = try Int64.fetchAll(db.cachedStatement(sql: split.restSQL), arguments: [split.restPhrase, collectCheaply + 1])
        guard rest.count <= collectCheaply else { return nil }
        let starting = try Int.fetchOne(db.cachedStatement(sql: split.startingCountSQL), arguments: [split.range.from, split.range.upTo]) ?? 0
        let count = starting + rest.count
        if query.offset >= count { return BookPage(books: [], totalCount: count) }
        let ids = try Int64.fetchAll(
            db.cachedStatement(sql: split.pageSQL),
            arguments: [
                split.range.from, split.range.upTo, query.offset + query.pageSize, jsonArray(rest),
                query.pageSize, query.offset,
            ]
        )
        return try BookPage(books: books(db, records(db, ids: ids)), totalCount: count)
    }

    /// The page of a filter whose matching ids are already known: their rows, sorted.
    private static func page(_ db: Database, of matches: [Int64], _ filter: BookFilterSQL, _ query: BookListQuery) throws -> BookPage {
        if query.offset >= matches.count { return BookPage(books: [], totalCount: matches.count) }
        let statement = try db.cachedStatement(
            sql: "SELECT * FROM book WHERE id IN (SELECT value FROM json_each(?)) ORDER BY \(filter.orderClause) LIMIT ? OFFSET ?"
        )
        let records = try BookRecord.fetchAll(statement, arguments: [jsonArray(matches), query.pageSize, query.offset])
        return try BookPage(books: books(db, records), totalCount: matches.count)
    }

    /// The ids of the books that have every one of `tags`, ascending: each tag's books come sorted by id from the
    /// tags' index (tag_id, book_id), and sorted lists intersect in one pass. SQLite's `INTERSECT` built a
    /// temporary index of the first tag's books instead: `tag=3&tag=7&tag_option=and` over a million books counted
    /// 1,078 matches in 19–21 ms that way.
    private static func books(_ db: Database, taggedWithEvery tags: [Int64]) throws -> [Int64] {
        let statement = try db.cachedStatement(sql: "SELECT book_id FROM book_tag WHERE tag_id = ? ORDER BY book_id")
        var matches: [Int64]?
        for tag in tags {
            let tagged = try Int64.fetchAll(statement, arguments: [tag])
            matches = matches.map { SortedIDs.intersection($0, tagged) } ?? tagged
            if matches?.isEmpty == true { break }
        }
        return matches ?? []
    }

    /// How many books there are: read only by a plan that may walk, which needs it.
    private static func catalogSize(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT book_count FROM catalog_stats WHERE id = 1")) ?? 0
    }

    /// Ids as a JSON array, for `json_each(?)`: one bound argument whatever their number, so the statement is prepared
    /// once.
    private static func jsonArray(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// The rows of these ids, in this order.
    private static func records(_ db: Database, ids: [Int64]) throws -> [BookRecord] {
        guard !ids.isEmpty else { return [] }
        // Cached: one shape per page size.
        let statement = try db.cachedStatement(sql: "SELECT * FROM book WHERE id IN (\(databaseQuestionMarks(count: ids.count)))")
        let byID = Dictionary(uniqueKeysWithValues: try BookRecord.fetchAll(statement, arguments: StatementArguments(ids)).map { ($0.id!, $0) })
        return ids.compactMap { byID[$0] }
    }

    private static func books(_ db: Database, _ records: [BookRecord]) throws -> [Book] {
        let tags = try BookTags.fetch(db, bookIDs: records.compactMap(\.id))
        return try records.map { try $0.book(tags: tags[$0.id!] ?? []) }
    }

    private func ensureISBNAvailable(_ db: Database, isbn: String, exceptID: Int64?) throws {
        // A prepared statement kept by the connection: building this from the query interface on every write cost
        // more than running it.
        let statement = try db.cachedStatement(sql: "SELECT id FROM book WHERE isbn = ?")
        if let other = try Int64.fetchOne(statement, arguments: [isbn]), other != exceptID {
            throw CatalogError.isbnTaken(isbn, byBook: other)
        }
    }

    /// The tags with these ids, or a validation error naming the ids that do not exist.
    private func existingTags(_ db: Database, ids: [Int64]) throws -> [Tag] {
        guard !ids.isEmpty else { return [] }
        let tags = try TagRecord.filter(keys: ids).order(TagRecord.Columns.id).fetchAll(db).map(\.tag)
        let missing = Set(ids).subtracting(tags.map(\.id)).sorted()
        if !missing.isEmpty {
            throw CatalogError.unknownTags(missing)
        }
        return tags
    }

    /// Touches only the tags that change (``BookDraft/tagChanges(from:)``): an update that keeps a book's tags writes
    /// no `book_tag` row, so it stays an in-place change when nothing else a listing reads changed
    /// (see ``InPlaceBookChanges``).
    private func replaceTags(_ db: Database, bookID: Int64, current: [Int64], with draft: BookDraft) throws {
        let changes = draft.tagChanges(from: current)
        let delete = try db.cachedStatement(sql: "DELETE FROM book_tag WHERE book_id = ? AND tag_id = ?")
        for tagID in changes.removed {
            try delete.execute(arguments: [bookID, tagID])
        }
        try addTags(db, bookID: bookID, tagIDs: changes.added)
    }

    private func addTags(_ db: Database, bookID: Int64, tagIDs: [Int64]) throws {
        guard !tagIDs.isEmpty else { return }
        let insert = try db.cachedStatement(sql: "INSERT INTO book_tag (book_id, tag_id) VALUES (?, ?)")
        for tagID in tagIDs {
            try insert.execute(arguments: [bookID, tagID])
        }
    }
}

/// Loads the tags of many books in one query.
enum BookTags {
    static func fetch(_ db: Database, bookIDs: [Int64]) throws -> [Int64: [Tag]] {
        guard !bookIDs.isEmpty else { return [:] }
        let placeholders = databaseQuestionMarks(count: bookIDs.count)
        // Cached: one shape per page size.
        let statement = try db.cachedStatement(
            sql: """
                SELECT book_tag.book_id, tag.id, tag.name FROM book_tag JOIN tag ON tag.id = book_tag.tag_id
                WHERE book_tag.book_id IN (\(placeholders)) ORDER BY tag.id
                """
        )
        var tags: [Int64: [Tag]] = [:]
        let rows = try Row.fetchCursor(statement, arguments: StatementArguments(bookIDs))
        while let row = try rows.next() {
            tags[row[0], default: []].append(Tag(id: row[1], name: row[2]))
        }
        return tags
    }
}
