import BookcatCore
import Hummingbird

/// The catalog's books: the filtered listing and single books for any signed-in caller; edits for admins.
struct BookController {
    let books: any BookRepository
    let reads: CachedReads
    /// What `next` and `previous` are absolute on (``PublicLinks``), if anything.
    var links = PublicLinks()

    /// `cachedReads` takes the handlers that answer through `reads` (see ``Authenticator/acceptsRememberedSessions``).
    func addRoutes(to group: RouterGroup<AuthenticatedContext>, cachedReads: RouterGroup<AuthenticatedContext>) {
        cachedReads.get("books", use: list)
        group.post("books", use: create)
        cachedReads.get("books/:book_id", use: show)
        group.put("books/:book_id", use: replace)
        group.patch("books/:book_id", use: patch)
        group.delete("books/:book_id", use: delete)
        group.get("books/:book_id/tags", use: tags)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        // Validated before the cache is consulted, so invalid requests never create or read entries.
        let query = try BookListQuery.parse(try QueryParameters.parse(request.uri.query))
        // The links are in the cached body, so their base is in the key: one of a few configured values, never
        // whatever a client wrote.
        let base = links.base(for: request)
        let key = "books:list:" + query.canonicalQuery + (base.map { "@" + $0 } ?? "")
        return try await reads.respond(to: request, context: context, key: key, costly: true) { [books] in
            let page = try await books.page(query)
            let lastPage = page.lastPage(pageSize: query.pageSize)
            guard query.page <= lastPage else {
                // Proven by the count alone (the store reads no page past the end), and cached like a page.
                throw CacheableProblem(problem: .notFound("page \(query.page) does not exist; the last page is \(lastPage)"))
            }
            return BookListResponse(
                count: page.totalCount,
                next: query.page < lastPage ? Self.link(query.onPage(query.page + 1), base: base) : nil,
                previous: query.page > 1 ? Self.link(query.onPage(query.page - 1), base: base) : nil,
                results: page.books.map(BookResponse.init)
            )
        }
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.positiveID("book_id")
        return try await reads.respond(to: request, context: context, key: "books:detail:\(id)") { [books] in
            BookResponse(try await Self.existing(id, in: books))
        }
    }

    @Sendable func tags(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.positiveID("book_id")
        return try await Self.existing(id, in: books).tags.map(TagResponse.init).jsonResponse()
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> EditedResponse<BookResponse> {
        try context.requireAdmin()
        let draft = try await request.decodeJSON(as: BookRequest.self, context: context).draft()
        let book = try await books.create(draft)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/books/\(book.id)"], response: BookResponse(book))
    }

    @Sendable func replace(_ request: Request, context: AuthenticatedContext) async throws -> BookResponse {
        try context.requireAdmin()
        let id = try context.parameters.positiveID("book_id")
        let draft = try await request.decodeJSON(as: BookRequest.self, context: context).draft()
        let book = try await books.update(id: id) { _ in draft }
        return BookResponse(book)
    }

    @Sendable func patch(_ request: Request, context: AuthenticatedContext) async throws -> BookResponse {
        try context.requireAdmin()
        let id = try context.parameters.positiveID("book_id")
        let patch = try await request.decodeJSON(as: BookPatchRequest.self, context: context)
        let book = try await books.update(id: id) { current in try patch.applied(to: current) }
        return BookResponse(book)
    }

    @Sendable func delete(_ request: Request, context: AuthenticatedContext) async throws -> HTTPResponse.Status {
        try context.requireAdmin()
        let id = try context.parameters.positiveID("book_id")
        try await books.delete(id: id)
        return .noContent
    }

    /// A relative link (path and query) to another page; never built from the request's Host header.
    static func link(_ query: BookListQuery, base: String? = nil) -> String {
        let canonical = query.canonicalQuery
        return (base ?? "") + (canonical.isEmpty ? "/api/v1/books" : "/api/v1/books?" + canonical)
    }

    static func existing(_ id: Int64, in books: any BookRepository) async throws -> Book {
        guard let book = try await books.book(id: id) else { throw CatalogError.noSuchBook(id) }
        return book
    }
}
