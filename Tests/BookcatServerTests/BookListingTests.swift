import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Filtered, paginated book listing")
struct BookListingTests {
    /// Titles of the listing at `query`, after checking it answered 200.
    private func titles(_ app: TestApp, _ token: String, _ query: String) async throws -> [String] {
        let response = try await app.send(.get, "/api/v1/books?\(query)", token: token)
        #expect(response.status == .ok, "\(query): \(response.text)")
        let results = try #require(try response.object()["results"] as? [[String: Any]])
        return results.compactMap { $0["title"] as? String }
    }

    @Test func titleAndAuthorFiltersAreCaseInsensitiveSubstrings() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token, ["title": "Dune", "author": "Frank Herbert"])
            _ = try await app.createBook(token: token, ["title": "Dune Messiah", "author": "Frank Herbert"])
            _ = try await app.createBook(token: token, ["title": "Emma", "author": "Jane Austen"])
            #expect(Set(try await titles(app, token, "title=DUN")) == ["Dune", "Dune Messiah"])
            #expect(try await titles(app, token, "author=austen") == ["Emma"])
            #expect(try await titles(app, token, "title=dune&author=jane").isEmpty)
        }
    }

    @Test func likeWildcardsInFiltersMatchLiterally() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token, ["title": "100% Pure"])
            _ = try await app.createBook(token: token, ["title": "1000 Pure"])
            _ = try await app.createBook(token: token, ["title": "snake_case"])
            _ = try await app.createBook(token: token, ["title": "snakeXcase"])
            #expect(try await titles(app, token, "title=0%25") == ["100% Pure"])
            #expect(try await titles(app, token, "title=e_c") == ["snake_case"])
        }
    }

    @Test func tagsCombineWithAndOrOr() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let sf = try await app.createTag("sf", token: token)
            let classic = try await app.createTag("classic", token: token)
            _ = try await app.createBook(token: token, ["title": "Both", "tags": [sf, classic]])
            _ = try await app.createBook(token: token, ["title": "OnlySF", "tags": [sf]])
            _ = try await app.createBook(token: token, ["title": "OnlyClassic", "tags": [classic]])
            _ = try await app.createBook(token: token, ["title": "None"])
            #expect(try await titles(app, token, "tag=\(sf)&tag=\(classic)&tag_option=and&order_by=title") == ["Both"])
            #expect(try await titles(app, token, "tag=\(sf)&tag=\(classic)&tag_option=or&order_by=title") == ["Both", "OnlyClassic", "OnlySF"])
            #expect(try await titles(app, token, "tag=\(sf)&order_by=title") == ["Both", "OnlySF"])
            #expect(try await titles(app, token, "tag=\(sf)&tag_option=and&order_by=title") == ["Both", "OnlySF"])
            let missingOption = try await app.send(.get, "/api/v1/books?tag=\(sf)&tag=\(classic)", token: token)
            #expect(missingOption.status == .badRequest)
            #expect(try missingOption.problemFields() == ["tag_option"])
        }
    }

    @Test func orderingAppliesTogetherWithFilters() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token, ["title": "b saga", "published_at": "2001-01-01"])
            _ = try await app.createBook(token: token, ["title": "A saga", "published_at": "2003-01-01"])
            _ = try await app.createBook(token: token, ["title": "c saga", "published_at": "2002-01-01"])
            _ = try await app.createBook(token: token, ["title": "other", "published_at": "2000-01-01"])
            #expect(try await titles(app, token, "title=saga&order_by=title") == ["A saga", "b saga", "c saga"])
            #expect(try await titles(app, token, "title=saga&order_by=-title") == ["c saga", "b saga", "A saga"])
            #expect(try await titles(app, token, "title=saga&order_by=published_at") == ["b saga", "c saga", "A saga"])
            #expect(try await titles(app, token, "title=saga&order_by=-published_at") == ["A saga", "c saga", "b saga"])
            #expect(try await titles(app, token, "title=saga&order_by=created_at") == ["b saga", "A saga", "c saga"])
            #expect(try await titles(app, token, "title=saga") == ["c saga", "A saga", "b saga"])
        }
    }

    @Test func pagesCarryRelativeLinksAndNeverOverlap() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            // Same title and date for all: only the id tie-breaker orders them.
            for _ in 0..<7 { _ = try await app.createBook(token: token, ["title": "Same", "published_at": "2000-01-01"]) }
            var seen: [Int64] = []
            var next: String? = "/api/v1/books?order_by=title&page_size=3"
            var previous: [String?] = []
            while let path = next {
                let response = try await app.send(.get, path, token: token)
                let page = try response.object()
                #expect(try page.int("count") == 7)
                seen += try #require(page["results"] as? [[String: Any]]).map { try $0.int("book_id") }
                next = page["next"] as? String
                previous.append(page["previous"] as? String)
                if let next { #expect(next.hasPrefix("/api/v1/books?")) }
            }
            #expect(seen.count == 7)
            #expect(Set(seen).count == 7)
            #expect(seen == seen.sorted())
            #expect(previous == [nil, "/api/v1/books?order_by=title&page_size=3", "/api/v1/books?order_by=title&page=2&page_size=3"])
        }
    }

    @Test func aPagePastTheEndIsNotFoundButAnEmptyFirstPageIsFine() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let empty = try await app.send(.get, "/api/v1/books", token: token)
            #expect(empty.status == .ok)
            #expect(try empty.object().int("count") == 0)
            #expect(try await app.send(.get, "/api/v1/books?page=2", token: token).status == .notFound)
            _ = try await app.createBook(token: token)
            #expect(try await app.send(.get, "/api/v1/books?page=2", token: token).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/books?page=2&page_size=1", token: token).status == .notFound)
        }
    }

    @Test(arguments: [
        ("page=0", "page"), ("page_size=1&page_size=2", "page_size"), ("order_by=price", "order_by"),
        ("tag_option=maybe&tag=1", "tag_option"), ("tag=x", "tag"), ("page=1&page=2", "page"), ("title=%ZZ", "title"),
        ("title=%C3%28", "title"), ("page=99999999999999999999999999", "page"),
    ])
    func invalidQueriesAreABadRequestNamingTheParameter(query: String, field: String) async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let response = try await app.send(.get, "/api/v1/books?\(query)", token: token)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields().contains(field))
        }
    }

    @Test func unknownParametersAreIgnored() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token, ["title": "Kept"])
            #expect(try await titles(app, token, "utm_source=newsletter&foo") == ["Kept"])
        }
    }

    @Test func listingResponsesCarryAnETagThatAnswers304() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token)
            let first = try await app.send(.get, "/api/v1/books", token: token)
            let etag = try #require(first.headers[.eTag])
            #expect(first.headers[HTTPField.Name("X-Cache")!] == "BYPASS")
            let again = try await app.send(.get, "/api/v1/books", token: token, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.text.isEmpty)
        }
    }

    /// If-None-Match compares weakly (RFC 9110 §13.1.2): a proxy that weakened the tag to `W/"…"`, a list of
    /// tags, or `*` still gets a 304; a tag that differs gets the body.
    @Test(arguments: ["W/{etag}", "\"other\", {etag}", "W/\"other\" , W/{etag}", "*"])
    func weakAndListedETagsAnswer304(_ header: String) async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token)
            let etag = try #require(try await app.send(.get, "/api/v1/books", token: token).headers[.eTag])
            let candidates = header.replacingOccurrences(of: "{etag}", with: etag)
            let again = try await app.send(.get, "/api/v1/books", token: token, headers: [.ifNoneMatch: candidates])
            #expect(again.status == .notModified, "If-None-Match: \(candidates)")
        }
    }

    @Test func aDifferentETagGetsTheBody() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token)
            let etag = try #require(try await app.send(.get, "/api/v1/books", token: token).headers[.eTag])
            let other = try await app.send(.get, "/api/v1/books", token: token, headers: [.ifNoneMatch: "W/\"x\(etag.dropFirst())"])
            #expect(other.status == .ok)
            #expect(try other.object().int("count") == 1)
        }
    }
}

@Suite("Search index and counts")
struct SearchIndexTests {
    private func count(_ app: TestApp, _ token: String, _ query: String) async throws -> Int64 {
        try await app.send(.get, "/api/v1/books?\(query)", token: token).object().int("count")
    }

    @Test func substringSearchFollowsEveryEdit() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let id = try await app.createBook(token: token, ["title": "Les Misérables", "author": "Victor Hugo"]).int("book_id")
            #expect(try await count(app, token, "title=MISÉR") == 1)
            #expect(try await count(app, token, "author=hug") == 1)
            #expect(try await count(app, token, "title=%22quoted%22%20and%20*") == 0)
            _ = try await app.send(.patch, "/api/v1/books/\(id)", token: token, json: ["title": "Notre-Dame de Paris"])
            #expect(try await count(app, token, "title=misér") == 0)
            #expect(try await count(app, token, "title=dame%20de") == 1)
            _ = try await app.send(.delete, "/api/v1/books/\(id)", token: token)
            #expect(try await count(app, token, "title=dame") == 0)
        }
    }

    @Test func theUnfilteredCountFollowsInsertsAndDeletes() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            var ids: [Int64] = []
            for _ in 0..<3 { ids.append(try await app.createBook(token: token).int("book_id")) }
            #expect(try await count(app, token, "") == 3)
            _ = try await app.send(.delete, "/api/v1/books/\(ids[0])", token: token)
            #expect(try await count(app, token, "") == 2)
            #expect(try await count(app, token, "page_size=1") == 2)
        }
    }
}

@Suite("Listing plans")
struct ListingPlanTests {
    @Test func narrowAndBroadFiltersReturnTheSameOrderedPages() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let rare = try await app.createTag("rare", token: token)
            let common = try await app.createTag("common", token: token)
            for index in 0..<30 {
                let tags = index == 17 ? [rare, common] : [common]
                _ = try await app.createBook(token: token, ["title": "Volume \(index)", "tags": tags, "published_at": "2001-01-\(10 + index % 9)"])
            }
            // One match in 31 books: the narrow plan.
            let narrow = try await app.send(.get, "/api/v1/books?tag=\(rare)&order_by=title", token: token).object()
            #expect(try narrow.int("count") == 1)
            // Every book: the broad plan walks the ordering index.
            let broad = try await app.send(.get, "/api/v1/books?tag=\(common)&order_by=-published_at&page_size=100", token: token).object()
            #expect(try broad.int("count") == 30)
            let dates = try #require(broad["results"] as? [[String: Any]]).compactMap { $0["published_at"] as? String }
            #expect(dates == dates.sorted(by: >))
            let titles = try await app.send(.get, "/api/v1/books?title=volume&order_by=title&page_size=5&page=2", token: token).object()
            #expect(try titles.int("count") == 30)
            #expect(
                (titles["results"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == [
                    "Volume 13", "Volume 14", "Volume 15", "Volume 16", "Volume 17",
                ]
            )
        }
    }
}
