/// What a publish announces on the changes channel (``CacheScript/publish``), as readers parse it:
/// `generation epoch counter from through books`, the last three possibly empty.
struct CacheChange: Sendable, Equatable {
    var generation: String
    var sessionEpoch: Int64?
    /// The change counter after this publish.
    var counter: Int64
    /// With `reflectsThrough`: Redis now reflects every in-place change up to `reflectsThrough`, for a reader that
    /// reflected every one up to `reflectsAfter` (nil: for any reader, as after a new generation).
    var reflectsAfter: Int64?
    var reflectsThrough: Int64?
    /// The books changed in place whose bodies are gone from Redis; empty when the generation moved instead.
    var books: [Int64]

    init?(_ fields: [Substring]) {
        guard fields.count == 6, !fields[0].isEmpty, let counter = Int64(fields[2]) else { return nil }
        generation = String(fields[0])
        sessionEpoch = Int64(fields[1])
        self.counter = counter
        reflectsAfter = Int64(fields[3])
        reflectsThrough = Int64(fields[4])
        books = fields[5].split(separator: ",").compactMap { Int64($0) }
    }
}
