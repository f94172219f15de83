import BookcatCore
import Foundation
import GRDB

/// The service's tags as bookcat will hold them. The service made tag names neither unique nor valid, and its own
/// bugs made tags of their own; each is resolved, and said:
/// - a name that differs from an older tag's only in case (`fiction`, `Fiction`) is that tag: merged into it, links
///   and all;
/// - a tag named `{'tag_id': 4}` is what the service's `PUT` made of a client's tag object: merged into tag 4, which
///   is what the client meant (kept under its name when tag 4 does not exist);
/// - an empty name (the service made one for a book naming a tag id that did not exist) becomes `tag-<id>`; a name
///   with control characters has them replaced by spaces; one beyond 64 characters is cut, with ` #<id>` after it;
/// - an id of 0 or below (the same bug: the book named tag -5) becomes a new id after the largest.
struct DjangoTags {
    /// The tags kept, with their final names, by id.
    var kept: [Tag] = []
    /// Merged tag → the kept tag its links move to.
    var mergedInto: [Int64: Int64] = [:]

    static func read(_ db: Database, deadline: DjangoReadingDeadline, findings: inout DjangoFindings) throws -> DjangoTags {
        var read: [(id: Int64, name: String)] = []
        var seen = Set<Int64>()
        let rows = try Row.fetchCursor(db, sql: "SELECT \(DjangoRowReader.selection(["tag_id", "name"])) FROM tag ORDER BY rowid")
        while let row = try rows.next() {
            try deadline.check()
            // Any whole number: the service made tags of ids ≤ 0 itself (below).
            var (id, reader) = DjangoRowReader.keyed(row, table: "tag", key: "tag_id", in: Int64.min...Int64.max)
            let name = reader.text("name")
            findings.refused += reader.problems
            if let id, !seen.insert(id).inserted { findings.refused.append("tag \(id): tag_id appears twice") }
            if let id, let name { read.append((id, name)) }
        }
        var tags = DjangoTags()
        let names = Dictionary(read.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var owners: [String: Int64] = [:]
        for (id, name) in read.sorted(by: { $0.id < $1.id }) {
            // Only into a tag with a name of its own: two such tags naming each other would otherwise both go.
            if let meant = objectReference(in: name), let meantName = names[meant], objectReference(in: meantName) == nil {
                tags.mergedInto[id] = meant
                findings.resolved.append(
                    "tag \(id) is named \(DjangoFindings.quote(name)), the service's text for a tag object: merged into tag \(meant)"
                )
                continue
            }
            let final = fitted(name, id: id)
            if final != name {
                findings.resolved.append(
                    "tag \(id) named \(DjangoFindings.quote(name)) breaks bookcat's rules: renamed \(DjangoFindings.quote(final))"
                )
            }
            if let owner = owners[final.lowercased()] {
                tags.mergedInto[id] = owner
                findings.resolved.append(
                    "tag \(id) \(DjangoFindings.quote(name)) has tag \(owner)'s name regardless of case: merged into tag \(owner)"
                )
                continue
            }
            owners[final.lowercased()] = id
            tags.kept.append(Tag(id: id, name: final))
        }
        // Ids the API cannot name (the service made tag 0 and tag -5 for a book that named them): new ones after the
        // largest, links and all.
        var next = read.map(\.id).max() ?? 0
        for index in tags.kept.indices where tags.kept[index].id < 1 {
            let old = tags.kept[index].id
            let (following, overflow) = next.addingReportingOverflow(1)
            guard !overflow else {
                findings.refused.append("tag \(old): an id bookcat's API cannot name, and no id after the largest (\(next)) is left")
                continue
            }
            next = following
            let name = tags.kept[index].name == "tag-\(old)" ? "tag-\(next)" : tags.kept[index].name
            tags.kept[index] = Tag(id: next, name: name)
            tags.mergedInto[old] = next
            findings.resolved.append(
                "tag \(old): an id bookcat's API cannot name (the service made it for a book that named it): now tag \(next) \(DjangoFindings.quote(name))"
            )
        }
        tags.kept.sort { $0.id < $1.id }
        // A tag merged into a tag that was itself merged (or renumbered) ends at the one kept.
        for (id, target) in tags.mergedInto {
            var end = target
            var hops = 0
            while let next = tags.mergedInto[end], hops < tags.mergedInto.count {
                (end, hops) = (next, hops + 1)
            }
            tags.mergedInto[id] = end
        }
        return tags
    }

    /// The tag a link to `id` lands on, or nil when no tag has that id.
    func target(of id: Int64) -> Int64? {
        if let merged = mergedInto[id] { return merged }
        return keptIDs.contains(id) ? id : nil
    }

    private var keptIDs: Set<Int64> { Set(kept.map(\.id)) }

    /// `{'tag_id': 4}` → 4: Python's text for the dict the client sent.
    private static func objectReference(in name: String) -> Int64? {
        let prefix = "{'tag_id': "
        let suffix = "}"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        return Int64(name.dropFirst(prefix.count).dropLast(suffix.count))
    }

    /// `name` as bookcat's rules take it (the API's check), or the nearest name they do.
    private static func fitted(_ name: String, id: Int64) -> String {
        func valid(_ candidate: String) -> Bool {
            var check = ValidationCollector()
            let trimmed = check.requiredText(candidate, field: "name", maxLength: TagRules.maximumNameLength)
            return check.errors.isEmpty && trimmed == candidate
        }
        if valid(name) { return name }
        let spaced = DjangoRowReader.spacingControls(name)
        let trimmed = spaced.trimmingCharacters(in: .whitespacesAndNewlines)
        let suffix = " #\(id)"
        let cut =
            trimmed.unicodeScalars.count > TagRules.maximumNameLength
            ? String(String.UnicodeScalarView(trimmed.unicodeScalars.prefix(TagRules.maximumNameLength - suffix.count))).trimmingCharacters(
                in: .whitespaces
            ) + suffix
            : trimmed
        return valid(cut) ? cut : "tag-\(id)"
    }

}
