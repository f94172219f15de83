/// The tables a catalog copy moves, in the order it moves them: every table after the ones it refers to.
///
/// Login-throttle windows are not among them: they are minutes long, and a copy is made with the service stopped.
/// The version counters are not either: the new store starts its own, and the copy invalidates the cache.
public enum CatalogTable: String, CaseIterable, Sendable {
    case users = "user"
    case tags = "tag"
    case books = "book"
    case bookTags = "book_tag"
    case loans = "loan"
    case refreshTokens = "refresh_token"
}

/// Some rows of one table, in key order.
public enum CatalogBatch: Sendable, Equatable {
    case users([CatalogRows.User])
    case tags([Tag])
    case books([CatalogRows.Book])
    case bookTags([CatalogRows.BookTag])
    case loans([Loan])
    case refreshTokens([RefreshTokenRecord])

    public var table: CatalogTable {
        switch self {
        case .users: .users
        case .tags: .tags
        case .books: .books
        case .bookTags: .bookTags
        case .loans: .loans
        case .refreshTokens: .refreshTokens
        }
    }

    public var count: Int {
        switch self {
        case .users(let rows): rows.count
        case .tags(let rows): rows.count
        case .books(let rows): rows.count
        case .bookTags(let rows): rows.count
        case .loans(let rows): rows.count
        case .refreshTokens(let rows): rows.count
        }
    }
}
