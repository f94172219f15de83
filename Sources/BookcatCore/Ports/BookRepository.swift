/// Stores books and their tags.
public protocol BookRepository: Sendable {
    /// One page of books matching the query's filters in its order, and the total number of matches.
    func page(_ query: BookListQuery) async throws -> BookPage
    func book(id: Int64) async throws -> Book?
    /// Throws ``CatalogError/conflict(_:)`` for a duplicate ISBN and ``CatalogError/invalid(_:)`` for unknown tag ids.
    func create(_ draft: BookDraft) async throws -> Book
    /// Reads the current book and writes `change(book)` in one transaction, so a concurrent loan's
    /// stock change is never overwritten by a stale read. Throws like ``create(_:)`` and ``CatalogError/notFound(_:)``.
    func update(id: Int64, _ change: @escaping @Sendable (Book) throws -> BookDraft) async throws -> Book
    /// Deletes the book and its returned loans. Throws ``CatalogError/conflict(_:)`` while copies are on loan.
    func delete(id: Int64) async throws
}
