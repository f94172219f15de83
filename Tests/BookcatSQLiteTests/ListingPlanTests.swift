import BookcatCore
import BookcatTestSupport
import Foundation
import GRDB
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

/// Every plan against the definition, over `ListingFixture`'s catalog: with `collectCheaply` lowered, walks,
/// covered walks, fallbacks and tag ids all run over 800 books; at its default, the collecting plans do.
@Suite("Listing plans against the definition")
struct ListingPlanPropertyTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func everyPlanGivesThePageTheDefinitionGives(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let database = try AppDatabase.inMemory()
        let fixture = try await ListingFixture.populate(database.store(), random: &random)
        for collectCheaply in [200, 20_000] {
            let books = SQLiteBookRepository(writer: database.writer, commits: database.commits, collectCheaply: collectCheaply)
            for _ in 0..<250 {
                let parameters = fixture.randomQuery(&random)
                let query = try BookListQuery.parse(parameters)
                let page = try await books.page(query)
                let expected = try await Self.definition(of: query, in: database.writer)
                #expect(page.totalCount == expected.count, "count of \(parameters)")
                #expect(page.books.map(\.id) == expected.page, "page of \(parameters)")
            }
        }
    }

    /// The count and the page by the definition alone: substrings of three or more characters are what the trigram
    /// index matches, shorter ones what LIKE matches; every match collected, sorted, sliced.
    private static func definition(of query: BookListQuery, in writer: any DatabaseWriter) async throws -> (count: Int, page: [Int64]) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        for (column, text) in [("title", query.title), ("author", query.author)] {
            guard let text else { continue }
            if text.unicodeScalars.count >= 3 {
                conditions.append("id IN (SELECT rowid FROM book_search WHERE book_search MATCH ?)")
                arguments += ["\(column) : \"\(text.replacingOccurrences(of: "\"", with: "\"\""))\""]
            } else {
                conditions.append("\(column) LIKE ? ESCAPE '\\'")
                arguments += [LikePattern.containing(text)]
            }
        }
        conditions += ListingFixture.tagConditions(of: query)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        let column =
            ["title": "title", "-title": "title", "published_at": "published_at", "-published_at": "published_at"][query.ordering.rawValue]
            ?? "created_at"
        let filterArguments = arguments
        return try await writer.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM book \(filter)", arguments: filterArguments) ?? 0
            let page = try Int64.fetchAll(
                db,
                sql: "SELECT id FROM book \(filter) ORDER BY \(column) \(direction), id \(direction) LIMIT ? OFFSET ?",
                arguments: filterArguments + [query.pageSize, query.offset]
            )
            return (count, page)
        }
    }
}
