/// The orderings `GET /books` accepts in `order_by`. A leading `-` means descending.
///
/// Every ordering is completed by the book id in the same direction, so no two books ever tie
/// and consecutive pages never overlap or skip a book.
public enum BookOrdering: String, Sendable, CaseIterable {
    case titleAscending = "title"
    case titleDescending = "-title"
    case publishedAtAscending = "published_at"
    case publishedAtDescending = "-published_at"
    case createdAtAscending = "created_at"
    case createdAtDescending = "-created_at"

    public static let `default` = BookOrdering.createdAtDescending

    public enum Field: Sendable, CaseIterable {
        case title
        case publishedAt
        case createdAt

        /// The `book` column the ordering sorts by (each store sorts by its own expression of it).
        public var bookColumn: String {
            switch self {
            case .title: "title"
            case .publishedAt: "published_at"
            case .createdAt: "created_at"
            }
        }
    }

    public var field: Field {
        switch self {
        case .titleAscending, .titleDescending: .title
        case .publishedAtAscending, .publishedAtDescending: .publishedAt
        case .createdAtAscending, .createdAtDescending: .createdAt
        }
    }

    public var isDescending: Bool { rawValue.hasPrefix("-") }
}
