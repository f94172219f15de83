import BookcatCore
import Foundation

/// A catalog built to send listing queries down every plan a store has, and random queries over it: broad filters
/// that a short walk serves, titles bunched at the end of the order that need a fallback, tags that are common, rare
/// and bunched, one- and two-character filters, LIKE's own wildcards, and text whose case only some foldings fold
/// (É, the Kelvin sign, ſ, ß). Each store's tests hold its every plan to the definition over it.
public struct ListingFixture: Sendable {
    public let tags: [Tag]

    private static let words = [
        "Golden", "River", "ÉTÉ", "été", "\u{212A}elvin", "kelvin", "Straße", "ſtar", "Ωmega", "50%", "under_score", "a", "Zq", "Ab",
    ]
    private static let authors = ["Ada Lovelace", "Alan Turing", "Émile Zola", "K", "an", "Ursula Le Guin"]
    /// Needles where foldings part ways, where LIKE's wildcards appear, or that no book holds.
    private static let trickyNeedles = ["kel", "KELV", "k", "sta", "ſta", "été", "ÉTÉ", "straß", "50%", "_", "e_s", "zq", "q", "xyz", "Ωx"]

    /// Writes 800 books through `store` (then edits 60 titles and deletes 40 books, so kept counts must follow).
    public static func populate(_ store: CatalogStore, random: inout SplitMix64) async throws -> ListingFixture {
        let tags = [
            try await store.tags.create(name: "common"), try await store.tags.create(name: "rare"), try await store.tags.create(name: "late"),
        ]
        var ids: [Int64] = []
        for index in 0..<800 {
            let wordCount = 1 + Int(random.next() % 3)
            // The last quarter of the titles sort after every other (and carry `late`): bunched at the order's end.
            let title = (index >= 600 ? "Zzz " : "") + (0..<wordCount).map { _ in pick(words, &random) }.joined(separator: " ")
            var tagIDs: [Int64] = []
            if random.next() % 2 == 0 { tagIDs.append(tags[0].id) }
            if random.next() % 25 == 0 { tagIDs.append(tags[1].id) }
            if index >= 600 { tagIDs.append(tags[2].id) }
            let publishedAt = CalendarDate(String(format: "%04d-%02d-01", 1900 + Int(random.next() % 120), 1 + Int(random.next() % 12)))!
            let book = try await store.books.create(
                BookDraft(
                    title: title,
                    author: pick(authors, &random),
                    isbn: "978" + String(format: "%010d", index),
                    publisher: nil,
                    publishedAt: publishedAt,
                    stock: 1,
                    tagIDs: tagIDs
                )
            )
            ids.append(book.id)
        }
        for _ in 0..<60 {
            let id = pick(ids, &random)
            let title = pick(words, &random) + " edited"
            _ = try await store.books.update(id: id) { BookDraft($0).with { $0.title = title } }
        }
        for id in ids.prefix(40) { try await store.books.delete(id: id) }
        return ListingFixture(tags: tags)
    }

    /// A random listing query over the catalog: filters on title, author and tags, any order, page and page size.
    public func randomQuery(_ random: inout SplitMix64) -> [(String, String)] {
        var parameters: [(String, String)] = []
        for field in ["title", "author"] where random.next() % 3 == 0 {
            parameters.append((field, Self.needle(&random, from: field == "title" ? Self.words : Self.authors)))
        }
        if random.next() % 3 == 0 {
            for tag in tags where random.next() % 2 == 0 { parameters.append(("tag", "\(tag.id)")) }
            parameters.append(("tag_option", random.next() % 2 == 0 ? "and" : "or"))
        }
        let pageSize = Self.pick([1, 5, 10, 20], &random)
        // Mostly the first pages; a third anywhere up to past the end, so pages beyond the middle (read from the
        // order's other end) and past the last one are asked for too.
        let page = random.next() % 3 == 0 ? 1 + random.next() % UInt64(900 / pageSize) : 1 + random.next() % 12
        parameters += [
            ("order_by", Self.pick(BookOrdering.allCases, &random).rawValue), ("page_size", "\(pageSize)"), ("page", "\(page)"),
        ]
        return parameters
    }

    /// The definition of `query`'s tag filter as SQL conditions on `book.id`, which both stores read alike: each tag
    /// a set of its own for `and`, one set of them all for `or`.
    public static func tagConditions(of query: BookListQuery) -> [String] {
        guard query.tagMatch == .any else {
            return query.tagIDs.map { "id IN (SELECT book_id FROM book_tag WHERE tag_id = \($0))" }
        }
        return ["id IN (SELECT book_id FROM book_tag WHERE tag_id IN (\(query.tagIDs.map(String.init).joined(separator: ","))))"]
    }

    /// A piece of one of `texts` (one to four characters, its case changed at random), or often a tricky one.
    private static func needle(_ random: inout SplitMix64, from texts: [String]) -> String {
        if random.next() % 3 == 0 { return pick(trickyNeedles, &random) }
        let scalars = Array(pick(texts, &random).unicodeScalars)
        let length = min(scalars.count, 1 + Int(random.next() % 4))
        let start = Int(random.next() % UInt64(scalars.count - length + 1))
        let piece = String(String.UnicodeScalarView(scalars[start..<(start + length)]))
        return random.next() % 2 == 0 ? piece.uppercased() : piece
    }

    private static func pick<T>(_ values: [T], _ random: inout SplitMix64) -> T { values[Int(random.next() % UInt64(values.count))] }
}
