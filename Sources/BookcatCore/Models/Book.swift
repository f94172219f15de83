import Foundation

/// A title in the catalog together with how many copies are on the shelf.
public struct Book: Sendable, Equatable {
    public var id: Int64
    public var title: String
    public var author: String
    public var isbn: String
    public var publisher: String?
    /// Calendar date of publication, `YYYY-MM-DD`.
    public var publishedAt: CalendarDate
    /// Copies on the shelf right now; loans take copies away, returns put them back.
    public var stock: Int
    /// Sorted by tag id so the same book always serialises identically.
    public var tags: [Tag]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64,
        title: String,
        author: String,
        isbn: String,
        publisher: String?,
        publishedAt: CalendarDate,
        stock: Int,
        tags: [Tag],
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.title = title
        self.author = author
        self.isbn = isbn
        self.publisher = publisher
        self.publishedAt = publishedAt
        self.stock = stock
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Every editable field of a book, already validated. Used for create and full replace.
public struct BookDraft: Sendable, Equatable {
    public var title: String
    public var author: String
    public var isbn: String
    public var publisher: String?
    public var publishedAt: CalendarDate
    public var stock: Int
    /// Distinct tag ids, sorted.
    public var tagIDs: [Int64]

    public init(
        title: String,
        author: String,
        isbn: String,
        publisher: String?,
        publishedAt: CalendarDate,
        stock: Int,
        tagIDs: [Int64]
    ) {
        self.title = title
        self.author = author
        self.isbn = isbn
        self.publisher = publisher
        self.publishedAt = publishedAt
        self.stock = stock
        self.tagIDs = Array(Set(tagIDs)).sorted()
    }

    /// The tags to take away from and to give a book that has `current`, so it has this draft's: a store writes only
    /// these, and an update that keeps a book's tags writes none (it stays an in-place change).
    public func tagChanges(from current: [Int64]) -> (removed: [Int64], added: [Int64]) {
        let wanted = Set(tagIDs)
        let present = Set(current)
        return (current.filter { !wanted.contains($0) }, tagIDs.filter { !present.contains($0) })
    }
}
