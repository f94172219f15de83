/// How many texts hold each one- and two-character substring, per field: what a store's kept substring counts add
/// for a batch of books written with its triggers lifted (the seeders), and what a migration fills them from.
///
/// Mirrors the stores' own SQL exactly for the texts it is given: characters are Unicode scalars (`substr` and
/// `length` count those in both stores) and only ASCII letters are lower-cased, which is SQLite's `lower()` on any
/// text and PostgreSQL's ICU folding on ASCII text.
public struct ShortSubstringTally: Sendable {
    public enum Field: String, CaseIterable, Sendable { case title, author }

    private var books: [Field: [UInt64: Int]] = [.title: [:], .author: [:]]

    public init() {}

    public mutating func add(_ text: String, as field: Field) {
        var seen = Set<UInt64>()
        var previous: UInt32?
        for scalar in text.unicodeScalars {
            let folded = Self.lower(scalar.value)
            seen.insert(Self.key(folded, nil))
            if let previous { seen.insert(Self.key(previous, folded)) }
            previous = folded
        }
        for key in seen { books[field, default: [:]][key, default: 0] += 1 }
    }

    /// Each substring with the number of texts holding it, fields in order and substrings in no promised order.
    public var entries: [(field: Field, substring: String, books: Int)] {
        Field.allCases.flatMap { field in (books[field] ?? [:]).map { (field, Self.text($0.key), $0.value) } }
    }

    private static let noScalar: UInt64 = 0x3F_FFFF  // above every Unicode scalar value

    private static func key(_ first: UInt32, _ second: UInt32?) -> UInt64 {
        UInt64(first) << 32 | (second.map(UInt64.init) ?? noScalar)
    }

    private static func text(_ key: UInt64) -> String {
        var text = String.UnicodeScalarView()
        text.append(Unicode.Scalar(UInt32(key >> 32))!)
        if key & 0xFFFF_FFFF != noScalar { text.append(Unicode.Scalar(UInt32(key & 0xFFFF_FFFF))!) }
        return String(text)
    }

    private static func lower(_ value: UInt32) -> UInt32 {
        (65...90).contains(value) ? value + 32 : value
    }
}
