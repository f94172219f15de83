import BookcatCore
import Foundation
import HTTPTypes
import Testing

@testable import BookcatInMemoryStore

/// The HTTP module on its own: routes, DTOs, problems and the caching policy over in-memory ports, with no store
/// adapter, no Redis and no server process in the way.
@Suite("HTTP module on in-memory ports")
struct CatalogRoutesTests {
    @Test func aListingIsServedFromTheCacheUntilAWriteMakesItUnreachable() async throws {
        try await HTTPTestApp.run { app in
            let admin = try await app.token(for: "admin", admin: true)
            _ = try await app.createBook(token: admin, title: "Dune", isbn: "9780000000001")
            let first = try await app.send(.get, "/api/v1/books?title=dune", token: admin)
            #expect(first.status == .ok && first.cacheOutcome == "MISS")
            let second = try await app.send(.get, "/api/v1/books?title=dune", token: admin)
            #expect(second.cacheOutcome == "HIT" && second.text == first.text)

            let invalidationsBefore = app.cache.invalidations.count
            _ = try await app.createBook(token: admin, title: "Dune Messiah", isbn: "9780000000002")
            // The write's answer came after its invalidation, with the store's versions it brought.
            #expect(app.cache.invalidations.count == invalidationsBefore + 1)
            #expect(app.cache.invalidations.last == app.catalog.versions)
            let after = try await app.send(.get, "/api/v1/books?title=dune", token: admin)
            #expect(after.cacheOutcome == "MISS")
            #expect(try after.object().int("count") == 2)
        }
    }

    @Test func tagsFilterWithAndOrAndPagesLinkToEachOther() async throws {
        try await HTTPTestApp.run { app in
            let admin = try await app.token(for: "admin", admin: true)
            let sf = try await app.send(.post, "/api/v1/tags", token: admin, json: ["name": "sf"]).object().int("tag_id")
            let classic = try await app.send(.post, "/api/v1/tags", token: admin, json: ["name": "classic"]).object().int("tag_id")
            _ = try await app.createBook(token: admin, title: "Both", isbn: "9780000000011", tags: [sf, classic])
            _ = try await app.createBook(token: admin, title: "OnlySF", isbn: "9780000000012", tags: [sf])
            _ = try await app.createBook(token: admin, title: "OnlyClassic", isbn: "9780000000013", tags: [classic])
            func titles(_ query: String) async throws -> [String] {
                try await app.send(.get, "/api/v1/books?\(query)", token: admin).object().results().map { try $0.string("title") }
            }
            #expect(try await titles("tag=\(sf)&tag=\(classic)&tag_option=and&order_by=title") == ["Both"])
            #expect(try await titles("tag=\(sf)&tag=\(classic)&tag_option=or&order_by=title") == ["Both", "OnlyClassic", "OnlySF"])

            let page = try await app.send(.get, "/api/v1/books?order_by=title&page_size=2", token: admin).object()
            #expect(try page.int("count") == 3)
            #expect(try page.results().map { try $0.string("title") } == ["Both", "OnlyClassic"])
            let next = try page.string("next")
            #expect(next.contains("page=2") && next.contains("page_size=2") && next.contains("order_by=title"))
            let last = try await app.send(.get, next, token: admin).object()
            #expect(try last.results().map { try $0.string("title") } == ["OnlySF"])
            #expect(last["next"] is NSNull)
        }
    }

    /// (An out-of-range `page_size` is clamped, as the Django service did, not refused.)
    @Test(arguments: ["order_by=price", "tag_option=xor&tag=1", "page=abc", "tag=abc", "title=" + String(repeating: "t", count: 256)])
    func aBadListingQueryIsAProblemAndCachesNothing(query: String) async throws {
        try await HTTPTestApp.run { app in
            let member = try await app.token(for: "reader")
            let response = try await app.send(.get, "/api/v1/books?\(query)", token: member)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            #expect(try response.object()["status"] as? Int == 400)
            #expect(app.cache.keys.isEmpty)
        }
    }

    @Test func aLoanTakesCopiesItsReturnPutsThemBackAndNoLoanTakesMoreThanTheShelfHolds() async throws {
        try await HTTPTestApp.run { app in
            let admin = try await app.token(for: "admin", admin: true)
            let member = try await app.token(for: "member")
            let bookID = try await app.createBook(token: admin, title: "Stocked", isbn: "9780000000021", stock: 3)
            let loan = try await app.send(.post, "/api/v1/loans", token: member, json: ["book_id": bookID, "quantity": 2])
            #expect(loan.status == .created)
            #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: member).object().int("stock") == 1)

            let tooMany = try await app.send(.post, "/api/v1/loans", token: member, json: ["book_id": bookID, "quantity": 2])
            #expect(tooMany.status == .conflict)
            #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: member).object().int("stock") == 1)

            let loanID = try loan.object().int("loan_id")
            let returned = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: member, json: ["is_returned": true])
            #expect(returned.status == .ok)
            #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: member).object().int("stock") == 3)
        }
    }

    @Test func readsInvalidateNothingAndEveryCatalogWriteInvalidatesBeforeItAnswers() async throws {
        try await HTTPTestApp.run { app in
            let admin = try await app.token(for: "admin", admin: true)
            let tagID = try await app.send(.post, "/api/v1/tags", token: admin, json: ["name": "poetry"]).object().int("tag_id")
            let bookID = try await app.createBook(token: admin, title: "Odes", isbn: "9780000000031", tags: [tagID])
            var count = app.cache.invalidations.count
            for read in ["/api/v1/books", "/api/v1/books/\(bookID)", "/api/v1/tags/\(tagID)", "/api/v1/books/\(bookID)/tags"] {
                #expect(try await app.send(.get, read, token: admin).status == .ok, "\(read)")
            }
            #expect(app.cache.invalidations.count == count)
            let writes: [(HTTPRequest.Method, String, [String: any Sendable]?, HTTPResponse.Status)] = [
                (.patch, "/api/v1/books/\(bookID)", ["stock": 9], .ok),
                (.put, "/api/v1/tags/\(tagID)", ["name": "verse"], .ok),
                (.delete, "/api/v1/tags/\(tagID)", nil, .noContent),
                (.delete, "/api/v1/books/\(bookID)", nil, .noContent),
            ]
            for (method, path, json, status) in writes {
                let response = try await app.send(method, path, token: admin, json: json)
                #expect(response.status == status, "\(method) \(path): \(response.text)")
                #expect(app.cache.invalidations.count == count + 1, "\(method) \(path)")
                count = app.cache.invalidations.count
            }
        }
    }

    /// A write acts on a session this process remembers only while the cache vouches for the session epoch it was
    /// read at; otherwise, and whenever the epoch moved, it asks the store.
    @Test func aWriteAsksTheStoreUnlessTheCacheVouchesForTheRememberedSessionsEpoch() async throws {
        try await HTTPTestApp.run { app in
            let admin = try await app.token(for: "admin", admin: true)
            func lookups() -> Int { app.catalog.state.withLock { $0.sessionLookups } }
            func write(_ name: String) async throws {
                #expect(try await app.send(.post, "/api/v1/tags", token: admin, json: ["name": name]).status == .created)
            }
            try await write("first")  // remembers the session, read from the store
            var before = lookups()
            try await write("unvouched")
            #expect(lookups() == before + 1, "no epoch vouched for: the store decides")

            app.cache.vouchedSessionEpoch = app.catalog.versions.sessions
            before = lookups()
            for name in ["second", "third", "fourth"] { try await write(name) }
            #expect(lookups() == before, "vouched for: memory's word")

            app.cache.vouchedSessionEpoch = app.catalog.versions.sessions + 1
            before = lookups()
            try await write("moved")
            #expect(lookups() == before + 1, "the epoch moved: the store decides")
        }
    }
}
