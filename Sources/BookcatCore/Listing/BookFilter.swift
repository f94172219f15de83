/// One filter of the book listing, with what it asks for.
///
/// A ``BookListQuery`` holds its filters as these, in canonical order, and everything that treats filters switches
/// over them without a `default`: the canonical query, each store's SQL, the in-memory store of the tests. A new
/// filter is a new case here, and the compiler then names each place that must say what it means.
/// (docs/architecture.md, "Adding a listing filter", walks through it.)
public enum BookFilter: Sendable, Hashable {
    /// A case-insensitive substring of the title, ASCII-lowercased (see ``BookListQuery/title``).
    case title(String)
    /// A case-insensitive substring of the author, ASCII-lowercased.
    case author(String)
    /// Distinct tag ids, ascending, and how they combine (nil unless there are two or more).
    case tags([Int64], TagMatch?)

    /// Which filter, without what it asks for.
    public enum Kind: Int, Sendable, CaseIterable, Comparable {
        case title, author, tags

        /// The `book` columns the filter reads: a change to one of them can move a book onto or off a page, so it
        /// is never an in-place change (``ListingColumns``).
        public var bookColumns: [String] {
            switch self {
            case .title: ["title"]
            case .author: ["author"]
            case .tags: []
            }
        }

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var kind: Kind {
        switch self {
        case .title: .title
        case .author: .author
        case .tags: .tags
        }
    }
}

/// The `book` columns any listing reads, from the filters' and the orderings' own definitions: an update that
/// leaves all of them alone changes only the bodies that show the book (the stores' in-place change triggers),
/// any other write changes every page. `ListingColumnTriggerTests` holds each store's installed triggers to it, so
/// a filter on a new column fails a test until a migration teaches the triggers that column.
public enum ListingColumns {
    public static let all: [String] = {
        var columns = ["id"]
        for column in BookFilter.Kind.allCases.flatMap(\.bookColumns) + BookOrdering.Field.allCases.map(\.bookColumn)
        where !columns.contains(column) {
            columns.append(column)
        }
        return columns
    }()
}
