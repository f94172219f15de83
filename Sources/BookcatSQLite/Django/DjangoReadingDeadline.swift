/// How long reading the service's database may take: checked at every row, so a file built to be slow (or one far
/// beyond anything the service made) is refused instead of holding the import for ever.
struct DjangoReadingDeadline: Sendable {
    struct Passed: Error {}

    private let end: ContinuousClock.Instant?

    init(limit: Duration) {
        end = ContinuousClock.now + limit
    }

    private init() {
        end = nil
    }

    /// No limit: for reads the survey already bounded.
    static let none = DjangoReadingDeadline()

    func check() throws {
        if let end, ContinuousClock.now >= end { throw Passed() }
    }
}
