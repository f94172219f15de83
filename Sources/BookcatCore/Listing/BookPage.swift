/// One page of the filtered listing together with how many books match in total.
public struct BookPage: Sendable, Equatable {
    public var books: [Book]
    /// Books matching the filters across all pages.
    public var totalCount: Int

    public init(books: [Book], totalCount: Int) {
        self.books = books
        self.totalCount = totalCount
    }

    /// The last page that exists for `pageSize`; an empty result still has page 1.
    public func lastPage(pageSize: Int) -> Int {
        max(1, (totalCount + pageSize - 1) / pageSize)
    }
}
