import BookcatCore
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

/// Every plan against the definition, over a catalog built to send queries down each of them: broad filters that a
/// short walk serves, filters bunched at one end of the order that need the fallback, covered walks of the title
/// index, tags combined with `and` (counted from their ids) and `or`, one- and two-character filters counted from
/// the kept substring counts, and text whose case only the trigram index folds (É, the Kelvin sign, ſ).
@Suite("Listing plans against the definition")
struct ListingPlanPropertyTests {
    private static let words = [
        "Golden", "River", "ÉTÉ", "été", "\u{212A}elvin", "kelvin", "Straße", "ſtar", "Ωmega", "50%", "under_score", "a", "Zq", "Ab",
    ]
    private static let authors = ["Ada Lovelace", "Alan Turing", "Émile Zola", "K", "an", "Ursula Le Guin"]

    @Test(arguments: [UInt64(1), 2, 3])
    func everyPlanGivesThePageTheDefinitionGives(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let database = try AppDatabase.inMemory()
        let store = database.store()
        let tags = [
            try await store.tags.create(name: "common"), try await store.tags.create(name: "rare"), try await store.tags.create(name: "late"),
        ]
        var ids: [Int64] = []
        for index in 0..<800 {
            func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
            let wordCount = 1 + Int(random.next() % 3)
            // The last quarter of the titles sort after every other (and carry `late`): bunched at the order's end.
            let title = (index >= 600 ? "Zzz " : "") + (0..<wordCount).map { _ in pick(Self.words) }.joined(separator: " ")
            var tagIDs: [Int64] = []
            if random.next() % 2 == 0 { tagIDs.append(tags[0].id) }
            if random.next() % 25 == 0 { tagIDs.append(tags[1].id) }
            if index >= 600 { tagIDs.append(tags[2].id) }
            let book = try await store.books.create(
                BookDraft(
                    title: title,
                    author: pick(Self.authors),
                    isbn: "978" + String(format: "%010d", index),
                    publisher: nil,
                    publishedAt: CalendarDate(String(format: "%04d-%02d-01", 1900 + Int(random.next() % 120), 1 + Int(random.next() % 12)))!,
                    stock: 1,
                    tagIDs: tagIDs
                )
            )
            ids.append(book.id)
        }
        // Edits and deletions after the fact: the kept counts and the index must follow them.
        for _ in 0..<60 {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            let title = Self.words[Int(random.next() % UInt64(Self.words.count))] + " edited"
            _ = try await store.books.update(id: id) { book in
                BookDraft(
                    title: title,
                    author: book.author,
                    isbn: book.isbn,
                    publisher: book.publisher,
                    publishedAt: book.publishedAt,
                    stock: book.stock,
                    tagIDs: book.tags.map(\.id)
                )
            }
        }
        for id in ids.prefix(40) { try await store.books.delete(id: id) }

        for collectCheaply in [200, 20_000] {
            let books = SQLiteBookRepository(writer: database.writer, commits: database.commits, collectCheaply: collectCheaply)
            for _ in 0..<250 {
                var parameters: [(String, String)] = []
                for field in ["title", "author"] where random.next() % 3 == 0 {
                    parameters.append((field, Self.needle(&random, from: field == "title" ? Self.words : Self.authors)))
                }
                if random.next() % 3 == 0 {
                    for tag in tags where random.next() % 2 == 0 { parameters.append(("tag", "\(tag.id)")) }
                    parameters.append(("tag_option", random.next() % 2 == 0 ? "and" : "or"))
                }
                let ordering = BookOrdering.allCases[Int(random.next() % UInt64(BookOrdering.allCases.count))]
                parameters += [
                    ("order_by", ordering.rawValue), ("page_size", "\([1, 5, 10, 20][Int(random.next() % 4)])"),
                    ("page", "\(1 + random.next() % 12)"),
                ]
                let query = try BookListQuery.parse(parameters)
                let page = try await books.page(query)
                let expected = try await Self.definition(of: query, in: database.writer)
                #expect(page.totalCount == expected.count, "count of \(parameters)")
                #expect(page.books.map(\.id) == expected.page, "page of \(parameters)")
            }
        }
    }

    /// Needles where LIKE and the trigram index part ways (the index folds the Kelvin sign to k and ſ to s), where
    /// LIKE's own wildcards appear, or that no book holds.
    private static let trickyNeedles = ["kel", "KELV", "k", "sta", "ſta", "été", "ÉTÉ", "straß", "50%", "_", "e_s", "zq", "q", "xyz", "Ωx"]

    /// A piece of one of `texts` (one to four characters, its case changed at random), or often a tricky one.
    private static func needle(_ random: inout SplitMix64, from texts: [String]) -> String {
        if random.next() % 3 == 0 { return trickyNeedles[Int(random.next() % UInt64(trickyNeedles.count))] }
        let scalars = Array(texts[Int(random.next() % UInt64(texts.count))].unicodeScalars)
        let length = min(scalars.count, 1 + Int(random.next() % 4))
        let start = Int(random.next() % UInt64(scalars.count - length + 1))
        let piece = String(String.UnicodeScalarView(scalars[start..<(start + length)]))
        return random.next() % 2 == 0 ? piece.uppercased() : piece
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
        for tagID in query.tagIDs where query.tagMatch != .any {
            conditions.append("id IN (SELECT book_id FROM book_tag WHERE tag_id = \(tagID))")
        }
        if query.tagMatch == .any {
            conditions.append("id IN (SELECT book_id FROM book_tag WHERE tag_id IN (\(query.tagIDs.map(String.init).joined(separator: ","))))")
        }
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
