/// When a store finds a filtered page by walking an ordering index, testing each book it passes, instead of
/// collecting every match and sorting: the choice both stores make from a filter's exact count.
public enum OrderWalk {
    /// Up to this many matches, collecting and sorting them all costs a few milliseconds (a lookup of each book,
    /// about 2 µs), so no walk tries to avoid it.
    public static let collectCheaply = 20_000

    /// How many entries of the ordering index to walk for the first `needed` of `matches` matches among `total`
    /// books, or nil when collecting them is cheaper. Matches spread evenly over the order turn up every
    /// `total / matches` steps; the window allows four times that, so a filter whose matches bunch up elsewhere in
    /// the order (`title=Golden&order_by=title`: all under G) costs one short walk before the collect, not a walk
    /// to G. Past `collectCheaply` entries, or past the number of matches, a walk costs what collecting would.
    public static func window(matches: Int, total: Int, needed: Int, collectCheaply: Int = collectCheaply) -> Int? {
        guard matches > 0 else { return nil }
        let expectedSteps = Double(needed) * Double(total) / Double(matches)
        let window = Int(4 * expectedSteps) + 64
        return window <= min(matches, collectCheaply) ? window : nil
    }
}
