/// What a seeding run wrote, and how long it took.
public struct SeedSummary: Sendable {
    public var books: Int
    public var tags: Int
    public var seconds: Double

    public init(books: Int, tags: Int, seconds: Double) {
        self.books = books
        self.tags = tags
        self.seconds = seconds
    }
}
