import BookcatCore
import Testing

/// Property-style checks over many generated queries: equivalent spellings always share one canonical form,
/// and changing any result-changing parameter always changes it.
@Suite("Canonical query properties")
struct CanonicalQueryPropertyTests {
    typealias SeededGenerator = SplitMix64

    typealias Pairs = [(name: String, value: String)]

    static func randomQuery(_ random: inout SeededGenerator) -> Pairs {
        var pairs: Pairs = []
        let words = ["dune", "Émile", "a b", "50%", "x&y=z", "漢字"]
        if Bool.random(using: &random) { pairs.append(("title", words.randomElement(using: &random)!)) }
        if Bool.random(using: &random) { pairs.append(("author", words.randomElement(using: &random)!)) }
        let tags = (0..<Int.random(in: 0...4, using: &random)).map { _ in String(Int.random(in: 1...6, using: &random)) }
        pairs += tags.map { ("tag", $0) }
        if Set(tags).count >= 2 || Bool.random(using: &random) { pairs.append(("tag_option", Bool.random(using: &random) ? "and" : "or")) }
        if Bool.random(using: &random) { pairs.append(("order_by", BookOrdering.allCases.randomElement(using: &random)!.rawValue)) }
        if Bool.random(using: &random) { pairs.append(("page", String(Int.random(in: 1...3, using: &random)))) }
        if Bool.random(using: &random) { pairs.append(("page_size", String(Int.random(in: 1...100, using: &random)))) }
        return pairs
    }

    /// The same request spelled differently: shuffled, tags repeated, defaults written out, unknown parameters added.
    static func respell(_ pairs: Pairs, _ random: inout SeededGenerator) -> Pairs {
        var variant = pairs
        for (name, value) in pairs where name == "tag" && Bool.random(using: &random) { variant.append((name, value)) }
        let names = Set(pairs.map(\.name))
        if !names.contains("page"), Bool.random(using: &random) { variant.append(("page", "1")) }
        if !names.contains("page_size"), Bool.random(using: &random) { variant.append(("page_size", "10")) }
        if !names.contains("order_by"), Bool.random(using: &random) { variant.append(("order_by", "-created_at")) }
        if !names.contains("title"), Bool.random(using: &random) { variant.append(("title", "")) }
        if Bool.random(using: &random) { variant.append(("utm_source", "mail")) }
        return variant.shuffled(using: &random)
    }

    @Test(arguments: 1...300)
    func respelledQueriesShareTheCanonicalForm(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let original = Self.randomQuery(&random)
        let variant = Self.respell(original, &random)
        #expect(try BookListQuery.parse(original).canonicalQuery == BookListQuery.parse(variant).canonicalQuery, "seed \(seed)")
    }

    @Test(arguments: 1...300)
    func changingAResultChangingParameterChangesTheCanonicalForm(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let original = Self.randomQuery(&random)
        let base = try BookListQuery.parse(original)
        var changed = original.filter { $0.name != "page" }
        changed.append(("page", String(base.page + 1)))
        #expect(try BookListQuery.parse(changed).canonicalQuery != base.canonicalQuery, "seed \(seed)")
        var retitled = original.filter { $0.name != "title" }
        retitled.append(("title", (base.title ?? "") + "z"))
        #expect(try BookListQuery.parse(retitled).canonicalQuery != base.canonicalQuery, "seed \(seed)")
        var resized = original.filter { $0.name != "page_size" }
        resized.append(("page_size", String(base.pageSize % 100 + 1)))
        #expect(try BookListQuery.parse(resized).canonicalQuery != base.canonicalQuery, "seed \(seed)")
    }
}
