import BookcatCore
import Foundation
import PostgresNIO

struct PostgresBookRepository: BookRepository {
    let sql: SQLRunner
    /// Where creations wait to be inserted together; nil creates each in a transaction of its own.
    var creations: PostgresBookCreations?
    /// See `OrderWalk.collectCheaply`; tests lower it to drive every plan over a small catalog.
    var collectCheaply = OrderWalk.collectCheaply
    /// How far into the unfiltered listing a page is read by ``nearUnfilteredPage(_:_:_:)``: where stepping over
    /// the ordering index costs less than a second statement would. Tests set 0 to drive the general plans.
    var nearPages = Self.nearPagesDefault
    static let nearPagesDefault = 1_000

    /// The publication date leaves the database as the `YYYY-MM-DD` text the API speaks.
    static let columns = "id, title, author, isbn, publisher, to_char(published_at, 'YYYY-MM-DD'), stock, created_at, updated_at"
    /// ``columns`` named as `book.`'s, for statements that join other tables.
    static let qualifiedColumns =
        "book.id, book.title, book.author, book.isbn, book.publisher, to_char(book.published_at, 'YYYY-MM-DD'), book.stock, book.created_at, book.updated_at"
    typealias Row = (Int64, String, String, String, String?, String, Int, Date, Date)

    static func book(_ row: Row, tags: [Tag]) throws -> Book {
        try Book(
            id: row.0,
            title: row.1,
            author: row.2,
            isbn: row.3,
            publisher: row.4,
            publishedAt: CalendarDate.stored(row.5, book: row.0),
            stock: row.6,
            tags: tags,
            createdAt: row.7,
            updatedAt: row.8
        )
    }

    // MARK: - Writes

    func create(_ draft: BookDraft) async throws -> Book {
        if let creations { return try await creations.create(draft) }
        return try await sql.write { db in try await Self.createAlone(db, draft, createdAt: Date()) }
    }

    /// Creates one book in the transaction `db`.
    static func createAlone(_ db: Transaction, _ draft: BookDraft, createdAt now: Date) async throws -> Book {
        try await ensureISBNAvailable(db, isbn: draft.isbn, exceptID: nil)
        let tags = try await existingTags(db, ids: draft.tagIDs)
        let row = try await db.rows(
            """
            INSERT INTO book (title, author, isbn, publisher, published_at, stock, created_at, updated_at)
            VALUES (\(draft.title), \(draft.author), \(draft.isbn), \(draft.publisher), \(draft.publishedAt.description)::date, \(draft.stock), \(now), \(now))
            RETURNING \(unescaped: Self.columns)
            """
        ).decode(Row.self).firstElement()!
        try await replaceTags(db, bookID: row.0, with: draft)
        return try Self.book(row, tags: tags)
    }

    func update(id: Int64, _ change: @escaping @Sendable (Book) throws -> BookDraft) async throws -> Book {
        try await sql.write { db in
            // Locked: a concurrent loan waits, then moves the stock this write leaves, and is never overwritten.
            let current = try await db.rows("SELECT \(unescaped: Self.columns) FROM book WHERE id = \(id) FOR UPDATE").decode(Row.self).firstElement()
            guard let current else { throw CatalogError.noSuchBook(id) }
            let currentTags = try await BookTagsQuery.fetch(db, bookIDs: [id])[id] ?? []
            let draft = try change(try Self.book(current, tags: currentTags))
            try await Self.ensureISBNAvailable(db, isbn: draft.isbn, exceptID: id)
            let tags = try await Self.existingTags(db, ids: draft.tagIDs)
            let row = try await db.rows(
                """
                UPDATE book SET title = \(draft.title), author = \(draft.author), isbn = \(draft.isbn), publisher = \(draft.publisher),
                  published_at = \(draft.publishedAt.description)::date, stock = \(draft.stock), updated_at = \(Date())
                WHERE id = \(id)
                RETURNING \(unescaped: Self.columns)
                """
            ).decode(Row.self).firstElement()!
            try await Self.replaceTags(db, bookID: id, current: currentTags.map(\.id), with: draft)
            return try Self.book(row, tags: tags)
        }
    }

    func delete(id: Int64) async throws {
        try await sql.write { db in
            // Locked first, so no loan is taken out between the count and the delete.
            guard try await db.execute("SELECT id FROM book WHERE id = \(id) FOR UPDATE") == 1 else {
                throw CatalogError.noSuchBook(id)
            }
            let onLoan =
                try await db.rows("SELECT COALESCE(sum(quantity), 0)::bigint FROM loan WHERE book_id = \(id) AND NOT is_returned")
                .decode(Int64.self).firstElement() ?? 0
            if onLoan > 0 {
                throw CatalogError.bookHasCopiesOnLoan(id, onLoan: onLoan)
            }
            try await db.execute("DELETE FROM book WHERE id = \(id)")
        }
    }

    // MARK: - Reads

    func book(id: Int64) async throws -> Book? {
        try await sql.snapshot { db in
            guard let row = try await db.rows("SELECT \(unescaped: Self.columns) FROM book WHERE id = \(id)").decode(Row.self).firstElement() else {
                return nil
            }
            return try Self.book(row, tags: try await BookTagsQuery.fetch(db, bookIDs: [id])[id] ?? [])
        }
    }

    func page(_ query: BookListQuery) async throws -> BookPage {
        let filter = PostgresBookFilter(query)
        let collectCheaply = collectCheaply
        if filter.isUnfiltered, query.offset + query.pageSize <= nearPages {
            return try await sql.read { db in try await Self.nearUnfilteredPage(db, filter, query) }
        }
        // One snapshot: the count and the rows agree.
        return try await sql.snapshot { db in
            if let split = PostgresTitleStartSplit(query), let page = try await Self.page(db, split, query, collectCheaply: collectCheaply) {
                return page
            }
            if let listing = filter.matchingIDsQuery(limit: collectCheaply + 1) {
                let matches = try await db.rows(listing).decode(Int64.self).collect()
                if matches.count <= collectCheaply {
                    if query.offset >= matches.count { return BookPage(books: [], totalCount: matches.count) }
                    let rows = try await db.rows(filter.pageQuery(ofIDs: matches, limit: query.pageSize, offset: query.offset)).decode(Row.self)
                        .collect()
                    return try await Self.page(db, rows, totalCount: matches.count)
                }
            }
            let count = Int(try await db.rows(filter.countQuery).decode(Int64.self).firstElement() ?? 0)
            // A page past the end holds nothing, which the count already proves: no walk to its offset.
            if query.offset >= count { return BookPage(books: [], totalCount: count) }
            let rows = try await Self.pageRows(db, filter, query, matches: count, collectCheaply: collectCheaply)
            return try await Self.page(db, rows, totalCount: count)
        }
    }

    /// An unfiltered page near the start of its order, with the book count and every book's tags, in one statement:
    /// one snapshot without a transaction, and one round trip instead of six (begin, count, ids, rows, tags,
    /// commit). The most asked-for listing, and what an uncached request costs most often.
    private static func nearUnfilteredPage(_ db: Transaction, _ filter: PostgresBookFilter, _ query: BookListQuery) async throws -> BookPage {
        let rows = try await db.rows(filter.nearPageWithTagsQuery(limit: query.pageSize, offset: query.offset))
            .decode((Int64, Int64?, String?, String?, String?, String?, String?, Int?, Date?, Date?, [Int64]?, [String]?).self).collect()
        // The statement starts from the one `catalog_stats` row, so a row always comes back, with the count.
        let count = rows.first?.0 ?? 0
        var books: [Book] = []
        for row in rows {
            // The count alone comes back when the page is past the end (the page's side of the join is empty).
            guard let id = row.1, let title = row.2, let author = row.3, let isbn = row.4, let published = row.6, let stock = row.7,
                let createdAt = row.8, let updatedAt = row.9
            else { continue }
            let tags = zip(row.10 ?? [], row.11 ?? []).map { Tag(id: $0, name: $1) }
            books.append(try book((id, title, author, isbn, row.5, published, stock, createdAt, updatedAt), tags: tags))
        }
        return BookPage(books: books, totalCount: Int(count))
    }

    /// The page's rows by the cheapest plan the count allows; each plan gives the same rows.
    private static func pageRows(
        _ db: Transaction,
        _ filter: PostgresBookFilter,
        _ query: BookListQuery,
        matches: Int,
        collectCheaply: Int
    ) async throws
        -> [Row]
    {
        if filter.isUnfiltered {
            // The count is every book's: a page past the middle is nearer from the other end.
            if let farEnd = FarEndPage.plan(count: matches, offset: query.offset, limit: query.pageSize) {
                let ids = try await db.rows(filter.farEndPageQuery(farEnd)).decode(Int64.self).collect()
                return try await rows(db, ids: ids.reversed())
            }
            let ids = try await db.rows(filter.indexPageQuery(limit: query.pageSize, offset: query.offset)).decode(Int64.self).collect()
            return try await rows(db, ids: ids)
        }
        let needed = query.offset + query.pageSize
        let total = Int(try await db.rows("SELECT book_count FROM catalog_stats WHERE id = 1").decode(Int64.self).firstElement() ?? 0)
        if let window = OrderWalk.window(matches: matches, total: total, needed: needed, collectCheaply: collectCheaply) {
            let ids = try await db.rows(filter.walkQuery(window: window, needed: needed)).decode(Int64.self).collect()
            // Exact only if the window held every match up to the page's end (or every match there is).
            if ids.count == min(needed, matches) { return try await rows(db, ids: Array(ids.dropFirst(query.offset))) }
        }
        return try await db.rows(filter.collectQuery(limit: query.pageSize, offset: query.offset)).decode(Row.self).collect()
    }

    /// The page of a title filter under the title order from its two halves, or nil when the half that does not
    /// start with the text is too large to collect.
    private static func page(
        _ db: Transaction,
        _ split: PostgresTitleStartSplit,
        _ query: BookListQuery,
        collectCheaply: Int
    ) async throws -> BookPage? {
        let halves = try await db.rows(split.halvesQuery(limit: collectCheaply)).decode((Int64, Int64, [Int64]).self).firstElement()
        guard let (starting, others, rest) = halves, others <= collectCheaply else { return nil }
        let count = Int(starting + others)
        if query.offset >= count { return BookPage(books: [], totalCount: count) }
        let ids = try await db.rows(split.pageQuery(rest: rest, limit: query.pageSize, offset: query.offset)).decode(Int64.self).collect()
        return try await page(db, rows(db, ids: ids), totalCount: count)
    }

    /// The rows of these ids, in this order.
    private static func rows(_ db: Transaction, ids: [Int64]) async throws -> [Row] {
        guard !ids.isEmpty else { return [] }
        let rows = try await db.rows("SELECT \(unescaped: columns) FROM book WHERE id = ANY(\(ids))").decode(Row.self).collect()
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0) })
        return ids.compactMap { byID[$0] }
    }

    private static func page(_ db: Transaction, _ rows: [Row], totalCount: Int) async throws -> BookPage {
        let tags = try await BookTagsQuery.fetch(db, bookIDs: rows.map(\.0))
        return BookPage(books: try rows.map { try book($0, tags: tags[$0.0] ?? []) }, totalCount: totalCount)
    }

    // MARK: - Helpers

    /// A clear message naming the book in the way; the unique index settles two writers racing for one ISBN.
    private static func ensureISBNAvailable(_ db: Transaction, isbn: String, exceptID: Int64?) async throws {
        if let other = try await db.rows("SELECT id FROM book WHERE isbn = \(isbn)").decode(Int64.self).firstElement(), other != exceptID {
            throw CatalogError.isbnTaken(isbn, byBook: other)
        }
    }

    /// The tags with these ids, or a validation error naming the ids that do not exist. Locked against deletion
    /// until the book's links are written.
    private static func existingTags(_ db: Transaction, ids: [Int64]) async throws -> [Tag] {
        guard !ids.isEmpty else { return [] }
        let tags = try await db.rows("SELECT id, name FROM tag WHERE id = ANY(\(ids)) ORDER BY id FOR SHARE").decode((Int64, String).self).collect()
            .map { Tag(id: $0.0, name: $0.1) }
        let missing = Set(ids).subtracting(tags.map(\.id)).sorted()
        if !missing.isEmpty {
            throw CatalogError.unknownTags(missing)
        }
        return tags
    }

    /// Touches only the tags that change (``BookDraft/tagChanges(from:)``), and runs no statement when none does: an
    /// update that keeps a book's tags fires no `book_tag` trigger, so it stays an in-place change when nothing else a
    /// listing reads changed (migration 0004).
    private static func replaceTags(_ db: Transaction, bookID: Int64, current: [Int64] = [], with draft: BookDraft) async throws {
        let changes = draft.tagChanges(from: current)
        if !changes.removed.isEmpty {
            try await db.execute("DELETE FROM book_tag WHERE book_id = \(bookID) AND tag_id = ANY(\(changes.removed)::bigint[])")
        }
        if !changes.added.isEmpty {
            try await db.execute("INSERT INTO book_tag (book_id, tag_id) SELECT \(bookID), unnest(\(changes.added)::bigint[])")
        }
    }
}

/// Loads the tags of many books in one query.
enum BookTagsQuery {
    static func fetch(_ db: Transaction, bookIDs: [Int64]) async throws -> [Int64: [Tag]] {
        guard !bookIDs.isEmpty else { return [:] }
        var tags: [Int64: [Tag]] = [:]
        let rows = try await db.rows(
            """
            SELECT book_tag.book_id, tag.id, tag.name FROM book_tag JOIN tag ON tag.id = book_tag.tag_id
            WHERE book_tag.book_id = ANY(\(bookIDs)) ORDER BY tag.id
            """
        )
        for try await (bookID, tagID, name) in rows.decode((Int64, Int64, String).self) {
            tags[bookID, default: []].append(Tag(id: tagID, name: name))
        }
        return tags
    }
}
