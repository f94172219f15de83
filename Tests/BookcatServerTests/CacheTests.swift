import BookcatCache
import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Redis response cache, end to end")
struct CacheTests {
    @Test func aRepeatedListingIsAHitWithTheSameBodyAndETag() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let token = try await app.admin().accessToken
                _ = try await app.createBook(token: token)
                let first = try await app.send(.get, "/api/v1/books", token: token)
                let second = try await app.send(.get, "/api/v1/books", token: token)
                #expect(first.cacheOutcome == "MISS")
                #expect(second.cacheOutcome == "HIT")
                #expect(first.headers[.xCacheTier] == nil)
                #expect(second.headers[.xCacheTier] == "memory")
                #expect(first.text == second.text)
                #expect(first.headers[.eTag] == second.headers[.eTag])
                let notModified = try await app.send(.get, "/api/v1/books", token: token, headers: [.ifNoneMatch: second.headers[.eTag]!])
                #expect(notModified.status == .notModified)
                #expect(notModified.cacheOutcome == "HIT")
            }
        }
    }

    @Test func equivalentQueriesShareOneEntryAndResultChangingOnesDoNot() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let token = try await app.admin().accessToken
                for index in 0..<3 { _ = try await app.createBook(token: token, ["title": "Saga \(index)"]) }
                #expect(try await app.send(.get, "/api/v1/books?title=saga&page_size=1", token: token).cacheOutcome == "MISS")
                #expect(try await app.send(.get, "/api/v1/books?page_size=1&page=1&title=saga&utm=x", token: token).cacheOutcome == "HIT")
                let pageTwo = try await app.send(.get, "/api/v1/books?title=saga&page_size=1&page=2", token: token)
                #expect(pageTwo.cacheOutcome == "MISS")
                let pageOne = try await app.send(.get, "/api/v1/books?title=saga&page_size=1", token: token)
                #expect(pageTwo.text != pageOne.text)
            }
        }
    }

    /// The second audit: a page past the end took ~3.8 s for its 404 at a million books, every time, because the
    /// render threw and nothing was cached. The count proves it, and the answer is cached like a page.
    @Test func aPagePastTheEndIsA404CachedLikeAPageUntilAWriteMakesItExist() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let token = try await app.admin().accessToken
                _ = try await app.createBook(token: token, ["title": "Saga 0"])
                let path = "/api/v1/books?title=saga&page_size=1&page=2"
                let first = try await app.send(.get, path, token: token)
                let again = try await app.send(.get, path, token: token)
                for answer in [first, again] {
                    #expect(answer.status == .notFound)
                    #expect(try answer.problem()["detail"] as? String == "page 2 does not exist; the last page is 1")
                    #expect(answer.headers[.eTag] == nil)
                }
                #expect(first.cacheOutcome == "MISS")
                #expect(again.cacheOutcome == "HIT")
                #expect(first.text == again.text)
                // A book that makes the page exist ends the cached 404 at once.
                _ = try await app.createBook(token: token, ["title": "Saga 1"])
                let exists = try await app.send(.get, path, token: token)
                #expect(exists.status == .ok && exists.cacheOutcome == "MISS")
            }
        }
    }

    @Test func invalidRequestsNeverTouchTheCache() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let token = try await app.admin().accessToken
                let before = try await redis.keyCount()
                #expect(try await app.send(.get, "/api/v1/books?page=0", token: token).status == .badRequest)
                #expect(try await app.send(.get, "/api/v1/books?order_by=price", token: token).status == .badRequest)
                #expect(try await redis.keyCount() == before)
            }
        }
    }

    @Test func everyWriteThatCanChangeABodyInvalidatesBeforeItAnswers() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let admin = try await app.admin()
                let token = admin.accessToken
                let tag = try await app.createTag("first", token: token)
                let bookID = try await app.createBook(token: token, ["tags": [tag]]).int("book_id")
                // A book no write below touches, and a listing that holds it but not `bookID`.
                let bystander = try await app.createBook(token: token, ["title": "Bystander"]).int("book_id")
                let pages = Pages(
                    showingTheBook: ["/api/v1/books", "/api/v1/books/\(bookID)"],
                    others: ["/api/v1/tags", "/api/v1/books/\(bystander)", "/api/v1/books?title=Bystander"]
                )

                // Writes that can change which books a page holds, or in what order: every page goes.
                let everything: [(String, @Sendable () async throws -> TestResponse)] = [
                    (
                        "create book",
                        {
                            try await app.send(
                                .post,
                                "/api/v1/books",
                                token: token,
                                json: ["title": "New", "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 2]
                            )
                        }
                    ),
                    ("patch title", { try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["title": "Patched"]) }),
                    (
                        "patch published_at",
                        { try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["published_at": "1999-01-01"]) }
                    ),
                    ("patch tags", { try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["tags": [Int]()]) }),
                    (
                        "put book",
                        {
                            try await app.send(
                                .put,
                                "/api/v1/books/\(bookID)",
                                token: token,
                                json: [
                                    "title": "Put", "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 9,
                                    "tags": [tag],
                                ]
                            )
                        }
                    ),
                    ("create tag", { try await app.send(.post, "/api/v1/tags", token: token, json: ["name": "second"]) }),
                    ("rename tag", { try await app.send(.put, "/api/v1/tags/\(tag)", token: token, json: ["name": "renamed"]) }),
                ]
                for (name, write) in everything {
                    try await expectInvalidated(app, token: token, pages, by: name, inPlace: false, write)
                }
                // In-place changes of `bookID` (its stock, ISBN, publisher): only the pages that show it go.
                let inPlace: [(String, @Sendable () async throws -> TestResponse)] = [
                    ("create loan", { try await app.send(.post, "/api/v1/loans", token: token, json: ["book_id": bookID, "quantity": 1]) }),
                    ("patch stock", { try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["stock": 40]) }),
                    ("patch isbn", { try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["isbn": TestApp.nextISBN()]) }),
                    ("patch publisher", { try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["publisher": "Elsewhere"]) }),
                ]
                for (name, write) in inPlace {
                    try await expectInvalidated(app, token: token, pages, by: name, inPlace: true, write)
                }
                let loanID = try #require(try await app.store.loans.loans(userID: nil).first).id
                try await expectInvalidated(app, token: token, pages, by: "return loan", inPlace: true) {
                    try await app.send(.patch, "/api/v1/loans/\(loanID)", token: token, json: ["is_returned": true])
                }
                try await expectInvalidated(app, token: token, pages, by: "delete tag", inPlace: false) {
                    try await app.send(.delete, "/api/v1/tags/\(tag)", token: token)
                }
                let other = try await app.createBook(token: token).int("book_id")
                try await expectInvalidated(app, token: token, pages, by: "delete book", inPlace: false) {
                    try await app.send(.delete, "/api/v1/books/\(other)", token: token)
                }
            }
        }
    }

    private struct Pages {
        /// Pages whose bodies show the written book.
        var showingTheBook: [String]
        /// Pages that do not: an in-place change of the book must leave them cached.
        var others: [String]
    }

    /// Warms every page, runs the write, and checks that the pages it can change are rendered afresh (one of them
    /// showing it) and, for an in-place change, that every other page is still a hit with the same body.
    private func expectInvalidated(
        _ app: TestApp,
        token: String,
        _ pages: Pages,
        by name: String,
        inPlace: Bool,
        _ write: @Sendable () async throws -> TestResponse
    ) async throws {
        let paths = pages.showingTheBook + pages.others
        var before: [String: String] = [:]
        for path in paths {
            _ = try await app.send(.get, path, token: token)
            let warm = try await app.send(.get, path, token: token)
            #expect(warm.cacheOutcome == "HIT", "\(path) should be cached before \(name)")
            before[path] = warm.text
        }
        let response = try await write()
        #expect(response.status.code < 300, "\(name) failed: \(response.text)")
        var changed = false
        for path in inPlace ? pages.showingTheBook : paths {
            let after = try await app.send(.get, path, token: token)
            #expect(after.cacheOutcome == "MISS", "\(path) was served from the cache after \(name)")
            changed = changed || after.text != before[path]
        }
        #expect(changed, "no body changed after \(name)")
        guard inPlace else { return }
        for path in pages.others {
            let after = try await app.send(.get, path, token: token)
            #expect(after.cacheOutcome == "HIT" && after.text == before[path], "\(path) was made unreachable by \(name)")
        }
    }

    @Test func cacheControlHeadersSkipOrRefreshTheCache() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let token = try await app.admin().accessToken
                let noStore = try await app.send(.get, "/api/v1/books", token: token, headers: [.cacheControl: "no-store"])
                #expect(noStore.cacheOutcome == "BYPASS")
                #expect(try await app.send(.get, "/api/v1/books", token: token).cacheOutcome == "MISS")
                #expect(try await app.send(.get, "/api/v1/books", token: token).cacheOutcome == "HIT")
                let noCache = try await app.send(.get, "/api/v1/books", token: token, headers: [.cacheControl: "no-cache"])
                #expect(noCache.cacheOutcome == "MISS")
                #expect(try await app.send(.get, "/api/v1/books", token: token).cacheOutcome == "HIT")
            }
        }
    }

    /// The audit: any member could force the expensive uncached render with `Cache-Control: no-store`. By default
    /// only admins may; `CACHE_BYPASS` opens it to everyone (load tests) or closes it to all.
    @Test(arguments: [
        (ServerConfiguration.CacheBypass.admins, false, true),
        (.everyone, true, true),
        (.nobody, false, false),
    ])
    func onlyTheConfiguredCallersMayBypassTheCache(setting: ServerConfiguration.CacheBypass, member: Bool, admin: Bool) async throws {
        var configuration = TestApp.configuration()
        configuration.server.cacheBypass = setting
        try await RedisServer.with { redis in
            try await TestApp.run(configuration: configuration, cacheOver: { redis.responseCache(store: $0) }) { app in
                let adminToken = try await app.admin().accessToken
                let memberToken = try await app.member("grace").accessToken
                #expect(try await app.send(.get, "/api/v1/books", token: memberToken).cacheOutcome == "MISS")
                for (token, allowed) in [(memberToken, member), (adminToken, admin)] {
                    let noStore = try await app.send(.get, "/api/v1/books", token: token, headers: [.cacheControl: "no-store"])
                    #expect(noStore.cacheOutcome == (allowed ? "BYPASS" : "HIT"))
                    let noCache = try await app.send(.get, "/api/v1/books", token: token, headers: [.cacheControl: "no-cache"])
                    #expect(noCache.cacheOutcome == (allowed ? "MISS" : "HIT"))
                }
            }
        }
    }

    /// Even a caller who may bypass the cache gets only two uncached renders at a time; a third is served normally.
    @Test func uncachedRendersAreLimitedPerAccount() async throws {
        let gate = CacheBypassGate(who: .everyone, perAccount: 2)
        let grace = User(id: 7, email: "grace@example.org", username: "grace", passwordHash: "", role: .user, createdAt: Date())
        let ada = User(id: 8, email: "ada@example.org", username: "ada", passwordHash: "", role: .user, createdAt: Date())
        let policies = try await gate.withPolicy(.bypass, for: grace) { first in
            try await gate.withPolicy(.bypass, for: grace) { second in
                let third = try await gate.withPolicy(.bypass, for: grace) { $0 }
                let other = try await gate.withPolicy(.bypass, for: ada) { $0 }
                return [first, second, third, other]
            }
        }
        #expect(policies == [.bypass, .bypass, .normal, .bypass])
        #expect(try await gate.withPolicy(.refresh, for: grace) { $0 } == .refresh)
    }

    @Test func twoInstancesSharingRedisReadTheirWrites() async throws {
        try await TestApp.runTwoInstances { first, second in
            let token = try await first.admin().accessToken
            let bookID = try await first.createBook(token: token, ["stock": 4]).int("book_id")
            _ = try await second.send(.get, "/api/v1/books/\(bookID)", token: token)
            let warm = try await second.send(.get, "/api/v1/books/\(bookID)", token: token)
            #expect(warm.cacheOutcome == "HIT")
            #expect(warm.headers[.xCacheTier] == "memory")
            let loan = try await first.send(.post, "/api/v1/loans", token: token, json: ["book_id": bookID, "quantity": 3])
            #expect(loan.status == .created)
            let after = try await second.send(.get, "/api/v1/books/\(bookID)", token: token)
            #expect(after.cacheOutcome == "MISS")
            #expect(try after.object().int("stock") == 1)
        }
    }

    @Test func healthReportsTheCache() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let healthy = try await app.send(.get, "/api/v1/common/health-check")
                #expect(try healthy.object().string("cache") == "ok")
                redis.stop()
                let health = try await app.send(.get, "/api/v1/common/health-check")
                #expect(health.status == .ok)
                #expect(try health.object().string("cache") == "unavailable")
            }
        }
        try await TestApp.run { app in
            let health = try await app.send(.get, "/api/v1/common/health-check")
            #expect(try health.object().string("cache") == "disabled")
        }
    }
}
