import BookcatCache
import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Metrics
import NIOConcurrencyHelpers
import RedisClient
import Testing

@testable import BookcatHTTP

/// The cache on the Redis operators run: an ACL user with exactly the rights docs/redis.md documents, TLS, several
/// catalogs on one Redis, and a cluster node given where one server was expected. On the configured store.
@Suite("Managed Redis: ACL user, TLS, one namespace per catalog")
struct ManagedRedisTests {
    static let aclPassword = "the service's own redis password"

    /// The ACL line of docs/redis.md's "Managed Redis" section, as `redis-server` arguments.
    static func documentedACL() throws -> [String] {
        let readme = try String(contentsOf: ConfigurationTests.repository.appendingPathComponent("docs/redis.md"), encoding: .utf8)
        let line = try #require(readme.split(separator: "\n").first { $0.hasPrefix("user bookcat on >PASSWORD ") }, "docs/redis.md's ACL line")
        return ["--user"] + line.split(separator: " ").dropFirst().map { $0 == ">PASSWORD" ? ">" + aclPassword : String($0) }
    }

    /// The Terraform module gives ElastiCache's user the same rights: docs/redis.md's line less its name and password.
    @Test func theTerraformModuleGrantsTheDocumentedRights() throws {
        let module = try String(
            contentsOf: ConfigurationTests.repository.appendingPathComponent("terraform/modules/scale_out/cache.tf"),
            encoding: .utf8
        )
        let line = try #require(module.split(separator: "\n").first { $0.contains("cache_access_string = \"") })
        let granted = line.split(separator: "\"")[1].split(separator: " ").map(String.init)
        let documented = try Self.documentedACL().dropFirst(2).filter { !$0.hasPrefix(">") }
        #expect(granted == Array(documented))
    }

    /// Every kind of cache traffic the service makes, under the documented user, on a database other than 0 (so
    /// `SELECT` is used too): nothing is refused (`ACL LOG` stays empty), reads hit, and writes are seen at once.
    @Test func theServiceRunsUnderTheLeastPrivilegeUserTheDocsDocument() async throws {
        try await RedisServer.with(password: "the default user's password", arguments: try Self.documentedACL()) { redis in
            var configuration = redis.clientConfiguration()
            configuration.username = "bookcat"
            configuration.password = Self.aclPassword
            configuration.database = 1
            let userConfiguration = configuration
            let made = NIOLockedValueBox<RedisResponseCache?>(nil)
            try await TestApp.run(
                cacheOver: { store in
                    let cache = redis.responseCache(store: store, client: userConfiguration)
                    made.withLockedValue { $0 = cache }
                    return cache
                }
            ) { app in
                let cache = try #require(made.withLockedValue { $0 })
                try await holdingLeases([cache]) {
                    let admin = try await app.admin()
                    let book = try await app.createBook(token: admin.accessToken, ["title": "Least privilege", "stock": 4]).int("book_id")
                    let page = "/api/v1/books?title=Least&order_by=title"
                    let reader = admin.accessToken
                    #expect(try await app.send(.get, page, token: reader).cacheOutcome == "MISS")
                    #expect(try await app.send(.get, page, token: reader).cacheOutcome == "HIT")
                    // In place (a stock change), a new generation (a title), a loan, a session ending.
                    #expect(try await app.send(.patch, "/api/v1/books/\(book)", token: admin.accessToken, json: ["stock": 9]).status == .ok)
                    #expect(try await app.send(.get, page, token: reader).object().results.first?["stock"] as? Int == 9)
                    #expect(
                        try await app.send(.patch, "/api/v1/books/\(book)", token: admin.accessToken, json: ["title": "Least privilege 2"]).status
                            == .ok
                    )
                    #expect(try await app.send(.get, page, token: reader).object().results.first?["title"] as? String == "Least privilege 2")
                    let loan = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": book, "quantity": 2])
                    #expect(loan.status == .created)
                    #expect(try await app.send(.get, "/api/v1/books/\(book)", token: reader).object().int("stock") == 7)
                    #expect(
                        try await app.send(.post, "/api/v1/auth/logout", token: admin.accessToken, json: ["refresh_token": admin.refreshToken]).status
                            .code < 300
                    )
                    let health = try await app.send(.get, "/api/v1/common/health-check")
                    #expect(try health.object().string("cache") == "ok")
                }
            }
            let inspector = redis.inspector()
            let refused = try await inspector.send("ACL", "LOG")
            #expect(refused == .array([]), "commands the documented ACL user was refused: \(refused)")
            let whoami = try await inspector.send(pipeline: [["SELECT", "1"], ["DBSIZE"]])
            #expect((whoami[1].integer ?? 0) > 0, "the cache wrote to database 1")
            await inspector.shutdown()
        }
    }

    /// Two catalogs (two stores) on one Redis and one database: each sees only its own pages and versions. A write to
    /// one does not stop the other's memory tier, and each logs that it shares the Redis with another catalog.
    @Test func twoCatalogsOnOneRedisNeverSeeEachOther() async throws {
        try await RedisServer.with { redis in
            let lines = NIOLockedValueBox<[String]>([])
            let logger = Logger(label: "bookcat-namespace-test") { _ in CapturingLogHandler(lines: lines) }
            let caches = NIOLockedValueBox<[RedisResponseCache]>([])
            let cacheOver: @Sendable (any StoreVersionSource) -> any ResponseCache = { store in
                let cache = redis.responseCache(store: store, logger: logger)
                caches.withLockedValue { $0.append(cache) }
                return cache
            }
            try await TestApp.run(cacheOver: cacheOver) { production in
                try await TestApp.run(cacheOver: cacheOver) { staging in
                    try await holdingLeases(caches.withLockedValue { $0 }) {
                        let productionAdmin = try await production.admin().accessToken
                        let stagingAdmin = try await staging.admin().accessToken
                        _ = try await staging.createBook(token: stagingAdmin, ["title": "Staging only"])
                        let page = "/api/v1/books?order_by=title"
                        // Staging's page, warmed into its memory.
                        #expect(try await staging.send(.get, page, token: stagingAdmin).cacheOutcome == "MISS")
                        let warm = try await staging.send(.get, page, token: stagingAdmin)
                        #expect(warm.cacheOutcome == "HIT" && warm.headers[.xCacheTier] == "memory")

                        let book = try await production.createBook(token: productionAdmin, ["title": "Production only"]).int("book_id")
                        #expect(try await production.send(.get, page, token: productionAdmin).cacheOutcome == "MISS")
                        #expect(try await production.send(.get, page, token: productionAdmin).cacheOutcome == "HIT")
                        for stock in 1...5 {
                            let patched = try await production.send(.patch, "/api/v1/books/\(book)", token: productionAdmin, json: ["stock": stock])
                            #expect(patched.status == .ok)
                        }
                        // Staging still serves its own page from memory: production's announcements are not its own.
                        let stagingPage = try await staging.send(.get, page, token: stagingAdmin)
                        #expect(stagingPage.cacheOutcome == "HIT" && stagingPage.headers[.xCacheTier] == "memory")
                        let titles = try stagingPage.object().results.compactMap { $0["title"] as? String }
                        #expect(titles == ["Staging only"])
                        let productionTitles = try await production.send(.get, page, token: productionAdmin).object().results.compactMap {
                            $0["title"] as? String
                        }
                        #expect(productionTitles == ["Production only"])
                    }
                }
            }
            let inspector = redis.inspector()
            let catalogs = try await inspector.send("SMEMBERS", "bookcat:catalogs")
            guard case .array(let members) = catalogs else { throw TestFailure("no catalogs registry: \(catalogs)") }
            #expect(members.count == 2, "\(catalogs)")
            let generations = try await inspector.send("KEYS", "bookcat:{v2:*}:generation")
            guard case .array(let keys) = generations else { throw TestFailure("\(generations)") }
            #expect(keys.count == 2, "one generation per catalog: \(generations)")
            await inspector.shutdown()
            let logged = lines.withLockedValue { $0 }
            #expect(logged.contains { $0.contains("also holds the cache of 1 other catalog") }, "\(logged)")
        }
    }

    /// `rediss://` with the test CA: the cache works. With a CA that did not sign the server's certificate, every
    /// request is still answered (from the store), health says the cache is unavailable without naming it, and
    /// the reason is in the log.
    @Test func overTLSTheCacheServesAndACertificateItMustNotTrustLeavesItDegraded() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        try await RedisServer.with(tls: .init(certificates: certificates)) { redis in
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0) }) { app in
                let admin = try await app.admin().accessToken
                let book = try await app.createBook(token: admin).int("book_id")
                #expect(try await app.send(.get, "/api/v1/books/\(book)", token: admin).cacheOutcome == "MISS")
                #expect(try await app.send(.get, "/api/v1/books/\(book)", token: admin).cacheOutcome == "HIT")
                #expect(try await app.send(.get, "/api/v1/common/health-check").object().string("cache") == "ok")
            }
            var configuration = redis.clientConfiguration()
            configuration.tls = RedisTLS(caFile: certificates.otherCAFile)
            let untrusting = configuration
            try await TestApp.run(cacheOver: { redis.responseCache(store: $0, client: untrusting) }) { app in
                let admin = try await app.admin().accessToken
                let book = try await app.createBook(token: admin).int("book_id")
                let read = try await app.send(.get, "/api/v1/books/\(book)", token: admin)
                #expect(read.status == .ok && read.cacheOutcome == "ERROR")
                let health = try await app.send(.get, "/api/v1/common/health-check")
                #expect(try health.object().string("status") == "degraded")
                #expect(try health.object().string("cache") == "unavailable")
                #expect(!health.text.contains("127.0.0.1") && !health.text.contains("TLS"), "\(health.text)")
            }
            let client = RedisClient(configuration: untrusting, metrics: NOOPMetricsHandler.instance)
            do {
                _ = try await client.send("PING")
            } catch {
                #expect(client.describeFailure(error).contains("not signed by a trusted CA"))
            }
            await client.shutdown()
        }
    }

    /// A node of a three-primary cluster where `REDIS_URL` expects one server (the outside check that found "ok" and
    /// nothing cached): the first key on another shard meets `MOVED`; health turns `degraded` and the log says to set
    /// `REDIS_CLUSTER`, while every request is answered.
    @Test func aClusterNodeGivenAsOneServerIsDegradedAndSaysSo() async throws {
        try await RedisTestCluster.with(replicasEach: 0) { cluster in
            let node = cluster.nodes[0]
            try await TestApp.run(cacheOver: { node.responseCache(store: $0) }) { app in
                let admin = try await app.admin().accessToken
                // Ten pages: their keys cannot all live on the one shard the client reaches.
                for page in 1...10 {
                    let read = try await app.send(.get, "/api/v1/books?page=\(page)", token: admin)
                    #expect(read.status == .ok || read.status == .notFound)
                }
                let health = try await app.send(.get, "/api/v1/common/health-check")
                #expect(try health.object().string("cache") == "unavailable")
            }
            let said = NIOLockedValueBox<[String]>([])
            let client = RedisClient(configuration: node.clientConfiguration(), metrics: NOOPMetricsHandler.instance) { error in
                said.withLockedValue { $0.append("\(error)") }
            }
            _ = try await client.send(pipeline: (0..<10).map { ["GET", RedisArgument("key-\($0)")] })
            await #expect(throws: RedisError.self) { try await client.probe() }
            #expect(said.withLockedValue { $0 }.first?.contains("set REDIS_CLUSTER") == true)
            await client.shutdown()
        }
    }
}

extension [String: Any] {
    /// A listing's rows.
    fileprivate var results: [[String: Any]] { (self["results"] as? [[String: Any]]) ?? [] }
}
