import BookcatCore
import BookcatTestSupport
import Logging
import PostgresNIO
import Testing

@testable import BookcatPostgres

/// Every plan of the PostgreSQL store against the definition (`lower(column COLLATE "und-x-icu") LIKE
/// lower(pattern COLLATE "und-x-icu")`, tags as sets), over `ListingFixture`'s catalog: with `collectCheaply`
/// lowered, walks, fallbacks and tag ids all run over 800 books; at its default, the collecting plans and the one
/// statement of a near unfiltered page do. The
/// catalog is written through the store, so the triggers keep the narrow search rows and substring counts.
@Suite("PostgreSQL listing plans against the definition")
struct PostgresListingPlanTests {
    @Test(arguments: [UInt64(1), 2])
    func everyPlanGivesThePageTheDefinitionGives(seed: UInt64) async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        let database = PostgresDatabase(location: location, poolSize: 2, logger: Logger(label: "bookcat-postgres-tests"))
        try await database.run { postgres in
            try await postgres.migrate()
            var random = SplitMix64(seed: seed)
            let fixture = try await ListingFixture.populate(postgres.store(), random: &random)
            let sql = SQLRunner(client: postgres.client, logger: postgres.logger)
            // With `nearPages` at 0, unfiltered pages take the general plans (from the order's far end past the middle).
            for (collectCheaply, nearPages) in [(200, 0), (20_000, PostgresBookRepository.nearPagesDefault)] {
                let books = PostgresBookRepository(sql: sql, collectCheaply: collectCheaply, nearPages: nearPages)
                for _ in 0..<150 {
                    let parameters = fixture.randomQuery(&random)
                    let query = try BookListQuery.parse(parameters)
                    let page = try await books.page(query)
                    let expected = try await Self.definition(of: query, sql)
                    #expect(page.totalCount == expected.count, "count of \(parameters)")
                    #expect(page.books.map(\.id) == expected.page, "page of \(parameters)")
                }
            }
        }
    }

    /// The count and the page by the definition alone: every match collected, sorted, sliced.
    private static func definition(of query: BookListQuery, _ sql: SQLRunner) async throws -> (count: Int, page: [Int64]) {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        for (column, text) in [("title", query.title), ("author", query.author)] {
            guard let text else { continue }
            bindings.append(LikePattern.containing(text))
            conditions.append("lower(\(column) COLLATE \"und-x-icu\") LIKE lower($\(bindings.count) COLLATE \"und-x-icu\") ESCAPE '\\'")
        }
        conditions += ListingFixture.tagConditions(of: query)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = query.ordering.isDescending ? "DESC" : "ASC"
        let column =
            switch query.ordering.field {
            case .title: "lower(title COLLATE \"C\")"
            case .publishedAt: "published_at"
            case .createdAt: "created_at"
            }
        let countQuery = PostgresQuery(unsafeSQL: "SELECT count(*) FROM book \(filter)", binds: bindings)
        var pageBindings = bindings
        pageBindings.append(query.pageSize)
        pageBindings.append(query.offset)
        let pageQuery = PostgresQuery(
            unsafeSQL:
                "SELECT id FROM book \(filter) ORDER BY \(column) \(direction), id \(direction) LIMIT $\(pageBindings.count - 1) OFFSET $\(pageBindings.count)",
            binds: pageBindings
        )
        return try await sql.snapshot { db in
            let count = try await db.rows(countQuery).decode(Int64.self).firstElement() ?? 0
            return (Int(count), try await db.rows(pageQuery).decode(Int64.self).collect())
        }
    }
}
