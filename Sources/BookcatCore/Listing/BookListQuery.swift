/// A validated request for one page of the book listing.
///
/// Built only through ``parse(_:)``, so every instance is valid and already canonical: equivalent
/// requests (parameters reordered, tags repeated or reordered, defaults written out or left off,
/// `tag_option` with fewer than two tags) produce equal values and the same ``canonicalQuery``.
public struct BookListQuery: Sendable, Hashable {
    public static let defaultPageSize = 10
    public static let maximumPageSize = 100
    public static let maximumTags = 20
    public static let maximumFilterLength = 255
    /// Far beyond any real catalog, and small enough that `page * page_size` can never overflow.
    public static let maximumPage = Int(Int32.max)

    /// The filters, at most one of each kind, in the order of ``BookFilter/Kind``: the one place a query keeps
    /// what it filters by. The properties below read it.
    public private(set) var filters: [BookFilter]

    /// Case-insensitive substring of the title, or nil for no filter. ASCII letters are lower-cased, so `Authz`
    /// and `AUTHZ` are one query with one cache key: every store folds at least ASCII case when it matches (SQLite's
    /// LIKE folds only ASCII, PostgreSQL's ICU folding all of Unicode), so folding more here could merge two
    /// filters SQLite tells apart.
    public var title: String? {
        for case .title(let text) in filters { return text }
        return nil
    }
    /// Case-insensitive substring of the author, or nil for no filter.
    public var author: String? {
        for case .author(let text) in filters { return text }
        return nil
    }
    /// Distinct tag ids, ascending.
    public var tagIDs: [Int64] {
        for case .tags(let ids, _) in filters { return ids }
        return []
    }
    /// How tags combine; nil unless there are two or more tags.
    public var tagMatch: TagMatch? {
        for case .tags(_, let match) in filters { return match }
        return nil
    }
    /// Which kinds of filter the query applies.
    public var filterKinds: [BookFilter.Kind] { filters.map(\.kind) }
    public private(set) var ordering: BookOrdering
    public private(set) var page: Int
    public private(set) var pageSize: Int

    /// The zero-based row offset of the first book on this page.
    public var offset: Int { (page - 1) * pageSize }

    /// The same query on another page.
    public func onPage(_ page: Int) -> BookListQuery {
        var copy = self
        copy.page = page
        return copy
    }

    /// The parameters that decide the result, in a fixed order, with defaults omitted and values
    /// percent-encoded: `title=…&author=…&tag=1&tag=2&tag_option=and&order_by=…&page=2&page_size=…`.
    ///
    /// Two queries have the same canonical form exactly when they must return the same page, which
    /// makes it the basis of both pagination links and cache keys.
    public var canonicalQuery: String {
        var pairs: [(String, String)] = []
        for filter in filters {
            switch filter {
            case .title(let text): pairs.append(("title", text))
            case .author(let text): pairs.append(("author", text))
            case .tags(let ids, let match):
                for id in ids { pairs.append(("tag", String(id))) }
                if let match { pairs.append(("tag_option", match.rawValue)) }
            }
        }
        if ordering != .default { pairs.append(("order_by", ordering.rawValue)) }
        if page != 1 { pairs.append(("page", String(page))) }
        if pageSize != Self.defaultPageSize { pairs.append(("page_size", String(pageSize))) }
        return pairs.map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Validates decoded query parameters (name, value) as they appeared in the request.
    ///
    /// Unknown parameters are ignored; every problem with a known one is reported at once, naming the parameter.
    public static func parse(_ parameters: [(name: String, value: String)]) throws(CatalogError) -> BookListQuery {
        var errors: [FieldError] = []
        var seen: [String: Int] = [:]
        for (name, _) in parameters { seen[name, default: 0] += 1 }
        for name in ["title", "author", "tag_option", "order_by", "page", "page_size"] where seen[name, default: 0] > 1 {
            errors.append(FieldError(field: name, message: "must be given at most once"))
        }
        func single(_ name: String) -> String? {
            parameters.first { $0.name == name }?.value
        }

        func text(_ name: String) -> String? {
            guard let value = single(name), !value.isEmpty else { return nil }
            // Scalars, not graphemes: one letter with thousands of combining marks is one grapheme.
            if let violation = ControlCharacters.violation(in: value) {
                errors.append(FieldError(field: name, message: violation))
            } else if value.unicodeScalars.count > maximumFilterLength {
                errors.append(FieldError(field: name, message: "must be at most \(maximumFilterLength) characters"))
            }
            return asciiLowercased(value)
        }

        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
            guard let raw = single(name) else { return fallback }
            guard let value = Int(raw), range.contains(value) else {
                let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
                errors.append(FieldError(field: name, message: "must be a whole number \(bound), got '\(raw.prefix(40))'"))
                return fallback
            }
            return value
        }

        let title = text("title")
        let author = text("author")
        var tagIDs = Set<Int64>()
        for (name, raw) in parameters where name == "tag" {
            guard let id = Int64(raw), id > 0 else {
                errors.append(FieldError(field: "tag", message: "must be a positive tag id, got '\(raw.prefix(40))'"))
                continue
            }
            tagIDs.insert(id)
        }
        if tagIDs.count > maximumTags {
            errors.append(FieldError(field: "tag", message: "at most \(maximumTags) distinct tags may be given"))
        }
        var tagMatch: TagMatch?
        if let raw = single("tag_option") {
            tagMatch = TagMatch(rawValue: raw)
            if tagMatch == nil {
                errors.append(FieldError(field: "tag_option", message: "must be 'and' or 'or', got '\(raw.prefix(40))'"))
            }
        }
        if tagIDs.count >= 2, tagMatch == nil, single("tag_option") == nil {
            errors.append(FieldError(field: "tag_option", message: "is required when two or more tags are given ('and' or 'or')"))
        }
        var ordering = BookOrdering.default
        if let raw = single("order_by") {
            if let parsed = BookOrdering(rawValue: raw) {
                ordering = parsed
            } else {
                let allowed = BookOrdering.allCases.map(\.rawValue).joined(separator: ", ")
                errors.append(FieldError(field: "order_by", message: "must be one of \(allowed), got '\(raw.prefix(40))'"))
            }
        }
        let page = integer("page", default: 1, range: 1...maximumPage)
        // As Django REST Framework's paginator does (the Django service's clients send `page_size=500`): above the
        // maximum is the maximum, and anything that is not a positive whole number is the default.
        let pageSize = single("page_size").flatMap { Int($0) }.map { $0 < 1 ? defaultPageSize : min($0, maximumPageSize) } ?? defaultPageSize

        guard errors.isEmpty else { throw .invalid(errors) }
        var filters: [BookFilter] = []
        if let title { filters.append(.title(title)) }
        if let author { filters.append(.author(author)) }
        if !tagIDs.isEmpty { filters.append(.tags(tagIDs.sorted(), tagIDs.count >= 2 ? tagMatch : nil)) }
        // Appended in BookFilter.Kind's order above, which canonicalQuery and the stores' SQL follow: checked in
        // debug builds (the tests), not sorted on every request.
        assert(filters.map(\.kind) == filters.map(\.kind).sorted())
        return BookListQuery(
            filters: filters,
            ordering: ordering,
            page: page,
            pageSize: pageSize
        )
    }

    private static func percentEncode(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return encoded
    }

    /// `text` with A–Z as a–z and every other scalar as it was.
    private static func asciiLowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else { return text }
        return String(decoding: text.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
