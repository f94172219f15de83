import BookcatCore
import Foundation
import Hummingbird

/// A tag as the API shows it; its JSON is written by ``render(into:)`` (`CatalogDTOs+JSON.swift`), the one place
/// that names its keys.
struct TagResponse: ResponseGenerator, Equatable, Sendable {
    var tagID: Int64
    var name: String

    init(_ tag: Tag) {
        tagID = tag.id
        name = tag.name
    }
}

struct TagRequest: Decodable {
    var name: String
}

/// A book as the API shows it; its JSON is written by ``render(into:)`` (`CatalogDTOs+JSON.swift`), the one place
/// that names its keys, a missing publisher included as an explicit `null`, as the contract says.
struct BookResponse: ResponseGenerator, Sendable {
    var bookID: Int64
    var title: String
    var author: String
    var isbn: String
    var publisher: String?
    var publishedAt: String
    var stock: Int
    var tags: [TagResponse]
    var createdAt: Date
    var updatedAt: Date

    init(_ book: Book) {
        bookID = book.id
        title = book.title
        author = book.author
        isbn = book.isbn
        publisher = book.publisher
        publishedAt = book.publishedAt.description
        stock = book.stock
        tags = book.tags.map(TagResponse.init)
        createdAt = book.createdAt
        updatedAt = book.updatedAt
    }
}

/// One page of the listing, with links to its neighbours (`null` at either end).
struct BookListResponse: Sendable {
    var count: Int
    var next: String?
    var previous: String?
    var results: [BookResponse]
}

/// Body of `POST /books` and `PUT /books/{id}`: every field, with `publisher` and `tags` optional. Tags are ids or the
/// Django service's `{"tag_id": n}` objects; scalars are coerced as that service did (``LenientScalars``).
struct BookRequest: Decodable {
    var title: String
    var author: String
    var isbn: String
    var publisher: String?
    var publishedAt: String
    var stock: Int
    var tags: [Int64]?

    enum CodingKeys: String, CodingKey {
        case title, author, isbn, publisher, stock, tags
        case publishedAt = "published_at"
    }

    /// Written by hand so `"tags": null` is rejected rather than read as "no tags".
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try container.decode(String.self, forKey: .title)
        author = try container.decode(String.self, forKey: .author)
        isbn = try container.decodeTextOrNumber(forKey: .isbn)
        publisher = try container.decodeIfPresent(String.self, forKey: .publisher)
        publishedAt = try container.decode(String.self, forKey: .publishedAt)
        stock = try container.decodeWholeNumber(Int.self, forKey: .stock)
        tags = try container.decodeUnlessAbsent([TagReference].self, forKey: .tags)?.map(\.id)
    }

    func draft() throws(CatalogError) -> BookDraft {
        var check = ValidationCollector()
        let draft = BookDraftInput(
            title: title,
            author: author,
            isbn: isbn,
            publisher: publisher,
            publishedAt: publishedAt,
            stock: stock,
            tags: tags ?? []
        ).validated(&check)
        try check.check()
        return draft!
    }
}

/// Body of `PATCH /books/{id}`: any subset of the fields. `publisher: null` clears the publisher,
/// while `null` for a required field is an error rather than "leave unchanged".
struct BookPatchRequest: Decodable {
    var title: String?
    var author: String?
    var isbn: String?
    /// Outer nil: not sent; inner nil: sent as null.
    var publisher: String??
    var publishedAt: String?
    var stock: Int?
    var tags: [Int64]?

    enum CodingKeys: String, CodingKey {
        case title, author, isbn, publisher, stock, tags
        case publishedAt = "published_at"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try container.decodeUnlessAbsent(String.self, forKey: .title)
        author = try container.decodeUnlessAbsent(String.self, forKey: .author)
        isbn = try container.decodeTextOrNumberUnlessAbsent(forKey: .isbn)
        publishedAt = try container.decodeUnlessAbsent(String.self, forKey: .publishedAt)
        stock = try container.decodeWholeNumberUnlessAbsent(Int.self, forKey: .stock)
        tags = try container.decodeUnlessAbsent([TagReference].self, forKey: .tags)?.map(\.id)
        if container.contains(.publisher) {
            publisher = .some(try container.decodeNil(forKey: .publisher) ? nil : try container.decode(String.self, forKey: .publisher))
        }
    }

    /// The book with this patch applied, validated as a whole.
    func applied(to book: Book) throws(CatalogError) -> BookDraft {
        var check = ValidationCollector()
        let draft = BookDraftInput(
            title: title ?? book.title,
            author: author ?? book.author,
            isbn: isbn ?? book.isbn,
            publisher: publisher ?? book.publisher,
            publishedAt: publishedAt ?? book.publishedAt.description,
            stock: stock ?? book.stock,
            tags: tags ?? book.tags.map(\.id)
        ).validated(&check)
        try check.check()
        return draft!
    }
}

/// Raw book fields, validated the same way for create, replace and patch.
private struct BookDraftInput {
    var title: String
    var author: String
    var isbn: String
    var publisher: String?
    var publishedAt: String
    var stock: Int
    var tags: [Int64]

    func validated(_ check: inout ValidationCollector) -> BookDraft? {
        let title = check.requiredText(title, field: "title", maxLength: BookRules.maximumTextLength)
        let author = check.requiredText(author, field: "author", maxLength: BookRules.maximumTextLength)
        let isbn = check.isbn(isbn)
        let publisher = check.optionalText(publisher, field: "publisher", maxLength: BookRules.maximumTextLength)
        let publishedAt = check.date(publishedAt, field: "published_at")
        let stock = check.integer(stock, field: "stock", in: 0...BookRules.maximumStock)
        let tagIDs = check.ids(tags, field: "tags", maxCount: BookRules.maximumTags)
        guard let publishedAt else { return nil }
        return BookDraft(title: title, author: author, isbn: isbn, publisher: publisher, publishedAt: publishedAt, stock: stock, tagIDs: tagIDs)
    }
}

/// `user` and `book` repeat `user_id` and `book_id`: the Django service's code returned those names (its spec said
/// `user_id`/`book_id`), and its clients read them.
struct LoanResponse: ResponseEncodable {
    var loanID: Int64
    var userID: Int64
    var bookID: Int64
    var quantity: Int
    var isReturned: Bool
    var createdAt: Date
    var returnedAt: Date?

    init(_ loan: Loan) {
        loanID = loan.id
        userID = loan.userID
        bookID = loan.bookID
        quantity = loan.quantity
        isReturned = loan.isReturned
        createdAt = loan.createdAt
        returnedAt = loan.returnedAt
    }

    enum CodingKeys: String, CodingKey {
        case quantity, user, book
        case loanID = "loan_id"
        case userID = "user_id"
        case bookID = "book_id"
        case isReturned = "is_returned"
        case createdAt = "created_at"
        case returnedAt = "returned_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(loanID, forKey: .loanID)
        try container.encode(userID, forKey: .userID)
        try container.encode(bookID, forKey: .bookID)
        try container.encode(userID, forKey: .user)
        try container.encode(bookID, forKey: .book)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(isReturned, forKey: .isReturned)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(returnedAt, forKey: .returnedAt)
    }
}

struct LoanRequest: Decodable {
    var bookID: Int64
    var quantity: Int

    enum CodingKeys: String, CodingKey {
        case quantity
        case bookID = "book_id"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bookID = try container.decodeWholeNumber(Int64.self, forKey: .bookID)
        quantity = try container.decodeWholeNumber(Int.self, forKey: .quantity)
    }
}

/// Body of `PATCH /loans/{id}`: `{"is_returned": true}`, or the Django service's return, `{"quantity": n}` with n
/// the loan's quantity (it knew no partial returns either).
struct LoanUpdateRequest: Decodable {
    var isReturned: Bool?
    var quantity: Int?

    enum CodingKeys: String, CodingKey {
        case quantity
        case isReturned = "is_returned"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        isReturned = try container.decodeBooleanUnlessAbsent(forKey: .isReturned)
        quantity = try container.decodeWholeNumberUnlessAbsent(Int.self, forKey: .quantity)
    }

    /// Throws a 400 naming the field unless this body returns `loan`.
    func checkReturns(_ loan: Loan) throws(CatalogError) {
        if let quantity, quantity != loan.quantity {
            throw .invalid(field: "quantity", "must be the loan's quantity, \(loan.quantity), to return it: a loan is returned whole")
        }
        switch (isReturned, quantity) {
        case (nil, nil): throw .invalid(field: "is_returned", "is required: send {\"is_returned\": true} to return the loan")
        case (false?, _): throw .invalid(field: "is_returned", "only true is accepted: a returned loan cannot be reopened")
        default: return
        }
    }
}
