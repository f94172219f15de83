import BookcatCore
import Foundation
import GRDB

struct BookRecord: FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "book"

    var id: Int64?
    var title: String
    var author: String
    var isbn: String
    var publisher: String?
    var publishedAt: String
    var stock: Int
    var createdAt: Date
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, title, author, isbn, publisher, stock
        case publishedAt = "published_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let isbn = Column(CodingKeys.isbn)
        static let stock = Column(CodingKeys.stock)
    }

    init(draft: BookDraft, createdAt: Date, updatedAt: Date, id: Int64? = nil) {
        self.id = id
        self.title = draft.title
        self.author = draft.author
        self.isbn = draft.isbn
        self.publisher = draft.publisher
        self.publishedAt = draft.publishedAt.description
        self.stock = draft.stock
        // Whole seconds, as the API shows them: SQLite keeps milliseconds, rounded, so a time a hair before a second
        // would be answered as one second by the write and as the next by every later read.
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        self.updatedAt = Date(timeIntervalSince1970: updatedAt.timeIntervalSince1970.rounded(.down))
    }

    /// Read by hand rather than through `Decodable`: a listing page decodes a hundred of these, and GRDB's
    /// Codable path (a keyed container per row) cost more CPU than running the page's SQL.
    init(row: Row) throws {
        id = row[CodingKeys.id.rawValue]
        title = row[CodingKeys.title.rawValue]
        author = row[CodingKeys.author.rawValue]
        isbn = row[CodingKeys.isbn.rawValue]
        publisher = row[CodingKeys.publisher.rawValue]
        publishedAt = row[CodingKeys.publishedAt.rawValue]
        stock = row[CodingKeys.stock.rawValue]
        createdAt = row[CodingKeys.createdAt.rawValue]
        updatedAt = row[CodingKeys.updatedAt.rawValue]
    }

    /// Written by hand for the same reason as ``init(row:)``, on every book insert and update.
    func encode(to container: inout PersistenceContainer) throws {
        container[CodingKeys.id.rawValue] = id
        container[CodingKeys.title.rawValue] = title
        container[CodingKeys.author.rawValue] = author
        container[CodingKeys.isbn.rawValue] = isbn
        container[CodingKeys.publisher.rawValue] = publisher
        container[CodingKeys.publishedAt.rawValue] = publishedAt
        container[CodingKeys.stock.rawValue] = stock
        container[CodingKeys.createdAt.rawValue] = createdAt
        container[CodingKeys.updatedAt.rawValue] = updatedAt
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Inserts the row through a statement the connection keeps prepared: the persistence methods compile their
    /// INSERT on every call (GRDB's statement authorizer alone was 2.5% of a created book's CPU).
    mutating func insertPrepared(_ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO book (title, author, isbn, publisher, published_at, stock, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [title, author, isbn, publisher, publishedAt, stock, createdAt, updatedAt])
        id = db.lastInsertedRowID
    }

    func book(tags: [Tag]) throws -> Book {
        try Book(
            id: id ?? 0,
            title: title,
            author: author,
            isbn: isbn,
            publisher: publisher,
            publishedAt: CalendarDate.stored(publishedAt, book: id ?? 0),
            stock: stock,
            tags: tags,
            createdAt: createdAt,
            updatedAt: updatedAt
        )
    }
}

struct BookTagRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "book_tag"

    var bookID: Int64
    var tagID: Int64

    enum CodingKeys: String, CodingKey {
        case bookID = "book_id"
        case tagID = "tag_id"
    }
}
