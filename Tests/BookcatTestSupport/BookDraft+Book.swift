import BookcatCore

extension BookDraft {
    /// The draft that would write `book` as it is: what a test changes one field of.
    public init(_ book: Book) {
        self.init(
            title: book.title,
            author: book.author,
            isbn: book.isbn,
            publisher: book.publisher,
            publishedAt: book.publishedAt,
            stock: book.stock,
            tagIDs: book.tags.map(\.id)
        )
    }

    /// `self` with `change` applied.
    public func with(_ change: (inout BookDraft) -> Void) -> BookDraft {
        var changed = self
        change(&changed)
        return changed
    }
}
