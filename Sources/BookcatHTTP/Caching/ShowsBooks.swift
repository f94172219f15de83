/// A response body that shows the fields of known books, and of no others: a cached copy needs to go only when one
/// of them changes in place (``BookcatCore/CachedBody/books``). A body that does not adopt this may show any book's
/// fields, and every in-place change makes its cached copy unreachable: the safe default for a route added tomorrow.
protocol ShowsBooks {
    /// The books whose own fields the body shows; empty when it shows none (the tags, a page past the end).
    var shownBooks: [Int64] { get }
}

extension BookResponse: ShowsBooks {
    var shownBooks: [Int64] { [bookID] }
}

extension BookListResponse: ShowsBooks {
    // The count and the links move only with the listing's membership, which an in-place change leaves alone.
    var shownBooks: [Int64] { results.map(\.bookID) }
}

extension Array: ShowsBooks where Element == TagResponse {
    var shownBooks: [Int64] { [] }
}
