import BookcatCore
import Foundation
import Testing

@testable import BookcatSQLite

/// A filtered page comes from one of two plans: walking the ordering index over a bounded window, or collecting
/// every match and sorting. Whichever runs, the page must be the one the definition gives.
@Suite("Listing plans over the ordering indexes")
struct ListingPlanWindowTests {
    @Test func broadTagFiltersWalkTheOrderAndBunchedOnesFallBackToSorting() async throws {
        let database = try AppDatabase.inMemory().store()
        let even = try await database.tags.create(name: "even")
        let late = try await database.tags.create(name: "late")
        var titlesByTag: [Int64: [String]] = [even.id: [], late.id: []]
        for index in 0..<300 {
            let title = "Book " + String(format: "%03d", index)
            // `even` is spread over the title order: a short walk finds a page. `late` is every title in the
            // second half: a walk from the start finds none in its window and must fall back.
            var tagIDs: [Int64] = []
            if index.isMultiple(of: 2) { tagIDs.append(even.id) }
            if index >= 150 { tagIDs.append(late.id) }
            for id in tagIDs { titlesByTag[id, default: []].append(title) }
            let draft = BookDraft(
                title: title,
                author: "Author",
                isbn: "978" + String(format: "%010d", index),
                publisher: nil,
                publishedAt: CalendarDate("2020-01-01")!,
                stock: 1,
                tagIDs: tagIDs
            )
            _ = try await database.books.create(draft)
        }
        for tag in [even, late] {
            for ordering in ["title", "-title"] {
                for page in [1, 3, 8] {
                    let query = try BookListQuery.parse([
                        ("tag", "\(tag.id)"), ("order_by", ordering), ("page_size", "10"), ("page", "\(page)"),
                    ])
                    let all = titlesByTag[tag.id]!.sorted()
                    let ordered = ordering.hasPrefix("-") ? Array(all.reversed()) : all
                    let expected = Array(ordered.dropFirst((page - 1) * 10).prefix(10))
                    let result = try await database.books.page(query)
                    #expect(result.totalCount == all.count)
                    #expect(result.books.map(\.title) == expected, "tag \(tag.name), \(ordering), page \(page)")
                }
            }
        }
    }
}
