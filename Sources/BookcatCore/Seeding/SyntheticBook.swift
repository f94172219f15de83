import Foundation

/// One book of a synthetic catalog, for load tests and demos: the `index`-th book is the same for the same
/// generator state on every machine, so every store seeds the same catalog from the same seed.
public struct SyntheticBook: Sendable {
    private static let adjectives = [
        "Silent", "Golden", "Hidden", "Last", "Broken", "Endless", "Crimson", "Distant", "Quiet", "Burning",
        "Frozen", "Secret", "Lost", "Wild", "Hollow", "Bright", "Dark", "Ancient", "Restless", "Little",
    ]
    private static let nouns = [
        "River", "Garden", "Empire", "Winter", "Harbor", "Forest", "Mirror", "Kingdom", "Letter", "Island",
        "Machine", "Orchard", "Storm", "Library", "Voyage", "Shadow", "Bridge", "Station", "Circle", "Lantern",
    ]
    private static let firstNames = [
        "Ada", "Grace", "Alan", "Frank", "Ursula", "Octavia", "Isaac", "Mary", "Jorge", "Toni",
        "Haruki", "Chinua", "Virginia", "Gabriel", "Italo", "Clarice", "Naguib", "Wislawa", "Kazuo", "Doris",
    ]
    private static let lastNames = [
        "Lovelace", "Hopper", "Turing", "Herbert", "Le Guin", "Butler", "Asimov", "Shelley", "Borges", "Morrison",
        "Murakami", "Achebe", "Woolf", "Marquez", "Calvino", "Lispector", "Mahfouz", "Szymborska", "Ishiguro", "Lessing",
    ]
    private static let publishers = ["Chilton", "Ace", "Penguin", "Vintage", "Faber", "Gollancz", nil]

    /// Seeded tags are named `genre-N`.
    public static func tagName(_ index: Int) -> String { "genre-\(index)" }

    public var title: String
    public var author: String
    public var isbn: String
    public var publisher: String?
    public var publishedAt: String
    public var stock: Int
    public var createdAt: Date
    public var tagIDs: [Int64]

    public init(index: Int, tagIDs allTags: [Int64], random: inout SplitMix64) {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        title = "\(pick(Self.adjectives)) \(pick(Self.nouns)) of the \(pick(Self.nouns)) \(index)"
        author = "\(pick(Self.firstNames)) \(pick(Self.lastNames))"
        let digits = String(index)
        isbn = "979" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
        publisher = pick(Self.publishers)
        let year = 1900 + Int(random.next() % 125)
        let month = 1 + Int(random.next() % 12)
        let day = 1 + Int(random.next() % 28)
        publishedAt = String(format: "%04d-%02d-%02d", year, month, day)
        stock = Int(random.next() % 20)
        createdAt = Date(timeIntervalSince1970: 1_577_836_800 + Double(index))
        let tagCount = 1 + Int(random.next() % 3)
        tagIDs = Array(Set((0..<tagCount).map { _ in pick(allTags) })).sorted()
    }
}
