import BookcatCore
import BookcatTestSupport
import Foundation
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// The catalog's hand-written JSON (``JSONOutput``) must be byte for byte what `JSONEncoder` wrote before it: the
/// ETags clients hold, and those other processes of an older release compute, depend on it. The reference is the
/// `Encodable` shape those releases encoded (``Reference``), kept here and nowhere in the service.
@Suite("Catalog JSON is written exactly as JSONEncoder writes it")
struct CatalogJSONTests {
    private static let pieces: [String] = [
        "\u{0}", "\u{1}", "\u{8}", "\t", "\n", "\u{B}", "\u{C}", "\r", "\u{1B}", "\u{1F}", "\u{7F}", "\u{85}",
        "\"", "\\", "/", "</script>", "'", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFD}", "e\u{301}", "😀", "👩‍👩‍👧",
        "\u{10FFFF}", "ß", "Dune", " ", "0", "{}", "[", ":", ",",
    ]

    private static func text(_ random: inout SplitMix64) -> String {
        (0..<Int(random.next() % 10)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    /// Seconds from 1583 to 9999 with a fraction, and now and then one outside that range (Foundation's own
    /// calendar writes those).
    private static func date(_ random: inout SplitMix64) -> Date {
        switch random.next() % 10 {
        case 0: return Date(timeIntervalSince1970: -20_000_000_000 + Double(random.next() % 1_000_000_000))
        default:
            let seconds = -12_212_553_600 + Int64(random.next() % 265_614_854_399)
            return Date(timeIntervalSince1970: Double(seconds) + Double(random.next() % 1000) / 1000)
        }
    }

    private static func book(_ random: inout SplitMix64) -> BookResponse {
        BookResponse(
            Book(
                id: Int64(random.next() % 1_000_000_000),
                title: text(&random),
                author: text(&random),
                isbn: text(&random),
                publisher: random.next() % 3 == 0 ? nil : text(&random),
                publishedAt: CalendarDate("\(1000 + random.next() % 9000)-0\(1 + random.next() % 9)-1\(random.next() % 9)")!,
                stock: Int(random.next() % 100_000),
                tags: (0..<Int(random.next() % 4)).map { _ in Tag(id: Int64(random.next() % 500), name: text(&random)) },
                createdAt: date(&random),
                updatedAt: date(&random)
            )
        )
    }

    private static func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.makeEncoder().encode(value), as: UTF8.self)
    }

    private static func written(_ value: some JSONRenderable) -> String {
        String(decoding: value.jsonBytes, as: UTF8.self)
    }

    @Test("every ASCII character, separators and emoji in tag names")
    func everyCharacter() throws {
        let every = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init))) + "\u{2028}é😀"
        let tag = TagResponse(Tag(id: 7, name: every))
        #expect(Self.written(tag) == (try Self.encoded(Reference.Tag(tag))))
        #expect(Self.written([tag, tag]) == (try Self.encoded([Reference.Tag(tag), Reference.Tag(tag)])))
    }

    @Test("generated listings", arguments: [1, 2, 3, 4] as [UInt64])
    func generatedListings(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<50 {
            let listing = BookListResponse(
                count: Int(random.next() % 1_000_000),
                next: random.next() % 2 == 0 ? nil : "/api/v1/books?page=2&title=" + Self.text(&random),
                previous: random.next() % 2 == 0 ? nil : "/api/v1/books?page=1",
                results: (0..<Int(random.next() % 6)).map { _ in Self.book(&random) }
            )
            #expect(Self.written(listing) == (try Self.encoded(Reference.Listing(listing))))
        }
    }

    @Test("dates at the edges: before 1970, fractions, leap days, the calendar's ends")
    func edgeDates() throws {
        let seconds: [Double] = [
            0, 0.999, -0.5, -86_400.25, 951_782_400, 951_868_799.999, -2_203_891_200, 4_107_542_400,
            253_402_300_799.9, -12_212_553_600, -12_212_553_600.5, 253_402_300_800, 1_700_000_000.9999,
        ]
        for value in seconds {
            let date = Date(timeIntervalSince1970: value)
            var output = JSONOutput()
            output.date(date)
            #expect(String(decoding: output.bytes, as: UTF8.self) == (try Self.encoded(date)), "\(value)")
        }
    }
}

/// The catalog's bodies as earlier releases encoded them with `JSONEncoder`: an explicit `null` for a missing
/// publisher or link, every other key as `CodingKeys` named it.
private enum Reference {
    struct Tag: Encodable {
        var tagID: Int64
        var name: String

        init(_ tag: TagResponse) { (tagID, name) = (tag.tagID, tag.name) }

        enum CodingKeys: String, CodingKey {
            case name
            case tagID = "tag_id"
        }
    }

    struct Book: Encodable {
        let book: BookResponse

        enum CodingKeys: String, CodingKey {
            case title, author, isbn, publisher, stock, tags
            case bookID = "book_id"
            case publishedAt = "published_at"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(book.bookID, forKey: .bookID)
            try container.encode(book.title, forKey: .title)
            try container.encode(book.author, forKey: .author)
            try container.encode(book.isbn, forKey: .isbn)
            try container.encode(book.publisher, forKey: .publisher)
            try container.encode(book.publishedAt, forKey: .publishedAt)
            try container.encode(book.stock, forKey: .stock)
            try container.encode(book.tags.map(Tag.init), forKey: .tags)
            try container.encode(book.createdAt, forKey: .createdAt)
            try container.encode(book.updatedAt, forKey: .updatedAt)
        }
    }

    struct Listing: Encodable {
        let listing: BookListResponse

        init(_ listing: BookListResponse) { self.listing = listing }

        enum CodingKeys: String, CodingKey {
            case count, next, previous, results
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(listing.count, forKey: .count)
            try container.encode(listing.next, forKey: .next)
            try container.encode(listing.previous, forKey: .previous)
            try container.encode(listing.results.map { Book(book: $0) }, forKey: .results)
        }
    }
}
