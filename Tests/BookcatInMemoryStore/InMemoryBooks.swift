import BookcatCore
import Foundation
import Synchronization

/// Books with their tags; a listing filters, orders and pages them as the SQL stores' queries do.
struct InMemoryBooks: BookRepository {
    let catalog: InMemoryCatalog

    func page(_ query: BookListQuery) async throws -> BookPage {
        catalog.state.withLock { state in
            let matches = state.books.values.filter { Self.matches($0, query) }.sorted { Self.precedes($0, $1, in: query.ordering) }
            return BookPage(books: Array(matches.dropFirst(query.offset).prefix(query.pageSize)), totalCount: matches.count)
        }
    }

    func book(id: Int64) async throws -> Book? { catalog.state.withLock { $0.books[id] } }

    func create(_ draft: BookDraft) async throws -> Book {
        let now = catalog.clock.now()
        return try catalog.state.withLock { state in
            let tags = try Self.validate(draft, in: state, except: nil)
            let book = Book(
                id: state.nextID(),
                title: draft.title,
                author: draft.author,
                isbn: draft.isbn,
                publisher: draft.publisher,
                publishedAt: draft.publishedAt,
                stock: draft.stock,
                tags: tags,
                createdAt: now,
                updatedAt: now
            )
            state.books[book.id] = book
            state.versions.catalog += 1
            return book
        }
    }

    func update(id: Int64, _ change: @escaping @Sendable (Book) throws -> BookDraft) async throws -> Book {
        let now = catalog.clock.now()
        return try catalog.state.withLock { state in
            guard var book = state.books[id] else { throw CatalogError.noSuchBook(id) }
            let draft = try change(book)
            book.tags = try Self.validate(draft, in: state, except: id)
            (book.title, book.author, book.isbn, book.publisher) = (draft.title, draft.author, draft.isbn, draft.publisher)
            (book.publishedAt, book.stock, book.updatedAt) = (draft.publishedAt, draft.stock, now)
            state.books[id] = book
            state.versions.catalog += 1
            return book
        }
    }

    func delete(id: Int64) async throws {
        try catalog.state.withLock { state in
            let onLoan = state.loans.values.filter { $0.bookID == id && !$0.isReturned }.reduce(0) { $0 + $1.quantity }
            if onLoan > 0 {
                throw CatalogError.bookHasCopiesOnLoan(id, onLoan: onLoan)
            }
            guard state.books.removeValue(forKey: id) != nil else { throw CatalogError.noSuchBook(id) }
            state.loans = state.loans.filter { $0.value.bookID != id }
            state.versions.catalog += 1
        }
    }

    /// The draft's tags, once its ISBN is known to be free and every tag id to exist.
    private static func validate(_ draft: BookDraft, in state: InMemoryCatalog.State, except: Int64?) throws -> [Tag] {
        if let other = state.books.values.first(where: { $0.id != except && $0.isbn == draft.isbn }) {
            throw CatalogError.isbnTaken(draft.isbn, byBook: other.id)
        }
        let missing = draft.tagIDs.filter { state.tags[$0] == nil }
        if !missing.isEmpty {
            throw CatalogError.unknownTags(missing)
        }
        return Set(draft.tagIDs).sorted().compactMap { state.tags[$0] }
    }

    /// Substrings regardless of case; tags all or any of the query's.
    private static func matches(_ book: Book, _ query: BookListQuery) -> Bool {
        query.filters.allSatisfy { filter in
            switch filter {
            case .title(let text): book.title.lowercased().contains(text.lowercased())
            case .author(let text): book.author.lowercased().contains(text.lowercased())
            case .tags(let ids, let match):
                match == .all ? ids.allSatisfy(Set(book.tags.map(\.id)).contains) : ids.contains(where: Set(book.tags.map(\.id)).contains)
            }
        }
    }

    /// The ordering's field, then the id in the same direction, so no two books tie.
    private static func precedes(_ lhs: Book, _ rhs: Book, in ordering: BookOrdering) -> Bool {
        let ascending: Bool
        switch ordering.field {
        case .title where lhs.title != rhs.title: ascending = lhs.title.utf8.lexicographicallyPrecedes(rhs.title.utf8)
        case .publishedAt where lhs.publishedAt != rhs.publishedAt: ascending = lhs.publishedAt < rhs.publishedAt
        case .createdAt where lhs.createdAt != rhs.createdAt: ascending = lhs.createdAt < rhs.createdAt
        default: ascending = lhs.id < rhs.id
        }
        return ordering.isDescending ? !ascending : ascending
    }
}
