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

/// The cache on a real Redis Cluster (three primaries, a replica each): two processes on one store (either kind), writes through
/// one and reads through the other, while the primary holding the cache's versions is killed and while slots
/// migrate; no read after an answered write shows an older page, and no request fails. Entries spread over the
/// shards: with the same memory per node, the cluster keeps about three times the pages one node keeps.
@Suite("The cache on a Redis Cluster", .serialized)
struct ClusterCacheTests {
    static let books = 12

    /// Under docs/redis.md's least-privilege ACL user: a command the cluster path needs and the line lacks shows in
    /// a node's `ACL LOG`.
    @Test func noProcessServesAnOlderPageWhileThePrimaryOfTheVersionsFailsOver() async throws {
        try await RedisTestCluster.with(arguments: try ManagedRedisTests.documentedACL()) { cluster in
            try await Self.twoProcesses(on: cluster, asDocumentedUser: true) { first, second, versionsKey in
                let token = try await first.admin().accessToken
                let ids = try await Self.shelf(first, token: token)
                var round = 0
                try await Self.writeAndRead(first, second, ids: ids, token: token, rounds: 3, round: &round)
                let versions = try await cluster.primary(forKey: versionsKey)
                versions.stop()
                // Writes and reads go on through the failover: answered from the store meanwhile, never stale.
                let live = cluster.nodes.filter { $0.port != versions.port }
                let recovered = Task { try await cluster.untilEveryNodeAgrees(among: live) }
                try await Self.writeAndRead(first, second, ids: ids, token: token, rounds: 6, round: &round)
                try await recovered.value
                // After it, hits again: the cache works on the promoted replica.
                try await Self.writeAndRead(first, second, ids: ids, token: token, rounds: 3, round: &round)
                let page = Self.page(0)
                _ = try await second.send(.get, page, token: token)
                let hit = try await eventually(timeout: .seconds(30)) {
                    try await second.send(.get, page, token: token).cacheOutcome
                } until: {
                    $0 == "HIT"
                }
                #expect(hit == "HIT")
            }
            for node in cluster.nodes {
                let inspector = node.inspector()
                // A node killed above answers nothing; the others must have refused nothing.
                if let refused = try? await inspector.send("ACL", "LOG") { #expect(refused == .array([]), "node \(node.port) refused: \(refused)") }
                await inspector.shutdown()
            }
        }
    }

    @Test func noProcessServesAnOlderPageWhileSlotsMigrate() async throws {
        try await RedisTestCluster.with { cluster in
            try await Self.twoProcesses(on: cluster) { first, second, versionsKey in
                let token = try await first.admin().accessToken
                let ids = try await Self.shelf(first, token: token)
                var round = 0
                try await Self.writeAndRead(first, second, ids: ids, token: token, rounds: 2, round: &round)
                // The shard of the versions gives most of its slots (the versions' among them, most likely) away.
                let source = try await cluster.primary(forKey: versionsKey)
                let target = try #require(cluster.nodes.prefix(3).first { $0.port != source.port })
                let done = NIOLockedValueBox(false)
                let reshard = Task {
                    defer { done.withLockedValue { $0 = true } }
                    try await cluster.reshard(slots: 4_000, from: source, to: target)
                }
                var rounds = 0
                while rounds < 4 || !done.withLockedValue({ $0 }) {
                    try await Self.writeAndRead(first, second, ids: ids, token: token, rounds: 1, round: &round)
                    rounds += 1
                    if rounds > 200 { break }
                }
                try await reshard.value
                try await Self.writeAndRead(first, second, ids: ids, token: token, rounds: 2, round: &round)
            }
        }
    }

    /// One process cut off from every node of the cluster (each behind a proxy it alone goes through) while the other
    /// still reaches them: every kind of write it answers is seen by the other at once, as on one server.
    @Test func aProcessCutOffFromTheClusterAnswersNoWriteTheOtherCouldServeStaleAfter() async throws {
        for write in PartialPartitionTests.Write.allCases {
            try await Self.cutOff(write)
        }
    }

    private static func cutOff(_ write: PartialPartitionTests.Write) async throws {
        try await RedisTestCluster.with(replicasEach: 0) { cluster in
            var proxies: [TCPProxy] = []
            for node in cluster.nodes { proxies.append(try await TCPProxy.start(toPort: node.port)) }
            var behind = cluster.clientConfiguration()
            behind.cluster?.addressMap = Dictionary(
                uniqueKeysWithValues: zip(cluster.seeds, proxies.map { RedisAddress(host: "127.0.0.1", port: $0.port) })
            )
            let gates = proxies
            do {
                try await twoProcesses(on: cluster, firstThrough: behind) { cutOff, other, _ in
                    try await PartialPartitionTests.check(
                        write,
                        cutOff: cutOff,
                        other: other,
                        cut: { for gate in gates { gate.cut() } },
                        restore: { for gate in gates { gate.restore() } }
                    )
                }
            } catch {
                for proxy in proxies { await proxy.stop() }
                throw error
            }
            for proxy in proxies { await proxy.stop() }
        }
    }

    /// With the same `maxmemory` per node, three primaries keep at least 2.5 times the pages one node keeps. (Not
    /// three: a cluster node holds a little more of its own, its replication backlog among it.)
    @Test func entriesSpreadSoTheClusterKeepsMorePages() async throws {
        let pages = 4_000
        let single = try await RedisServer.with(arguments: ["--maxmemory", "32mb", "--maxmemory-policy", "allkeys-lru"]) { redis in
            try await Self.pagesKept(pages, client: redis.clientConfiguration()) { try await redis.inspector().send("DBSIZE").integer ?? 0 }
        }
        let spread = try await RedisTestCluster.with(maxmemory: "32mb") { cluster in
            try await Self.pagesKept(pages, client: cluster.clientConfiguration()) {
                var total: Int64 = 0
                for node in cluster.nodes.prefix(3) { total += try await node.inspector().send("DBSIZE").integer ?? 0 }
                return total
            }
        }
        #expect(Double(spread) >= 2.5 * Double(single), "one node kept \(single) pages, three primaries \(spread)")
    }

    // MARK: - Helpers

    static func page(_ index: Int) -> String { "/api/v1/books?title=Shelf&order_by=title&page_size=6&page=\(index / 6 + 1)" }

    /// Books "Shelf 00" to "Shelf 11", stock 0.
    static func shelf(_ app: TestApp, token: String) async throws -> [Int64] {
        var ids: [Int64] = []
        for index in 0..<books {
            ids.append(try await app.createBook(token: token, ["title": "Shelf " + String(format: "%02d", index), "stock": 0]).int("book_id"))
        }
        return ids
    }

    /// Each round writes one book's stock through `first` (and, every third, its author: a new generation) and then
    /// reads its detail and its page through both processes: each must show the write.
    static func writeAndRead(_ first: TestApp, _ second: TestApp, ids: [Int64], token: String, rounds: Int, round: inout Int) async throws {
        for _ in 0..<rounds {
            round += 1
            let index = round % books
            let id = ids[index]
            var change: [String: Any] = ["stock": round]
            if round % 3 == 0 { change["author"] = "Author \(round)" }
            let patched = try await first.send(.patch, "/api/v1/books/\(id)", token: token, json: change)
            try #require(patched.status == .ok, "round \(round): \(patched.status) \(patched.text)")
            for instance in [second, first] {
                let detail = try await instance.send(.get, "/api/v1/books/\(id)", token: token)
                #expect(detail.status == .ok)
                #expect(try detail.object().int("stock") == Int64(round), "book \(id) after round \(round) (\(detail.cacheOutcome ?? "-"))")
                let listed = try await instance.send(.get, page(index), token: token)
                #expect(listed.status == .ok)
                let row = (try listed.object()["results"] as? [[String: Any]])?.first { ($0["book_id"] as? Int) == Int(id) }
                #expect((row?["stock"] as? Int) == round, "book \(id) on its page after round \(round) (\(listed.cacheOutcome ?? "-"))")
            }
        }
    }

    /// Two processes on one store (``SharedStore``), each with its own client to the cluster and its lease held.
    static func twoProcesses(
        on cluster: RedisTestCluster,
        asDocumentedUser: Bool = false,
        firstThrough first: RedisConfiguration? = nil,
        _ test: @Sendable (TestApp, TestApp, _ versionsKey: String) async throws -> Void
    ) async throws {
        var logger = Logger(label: "bookcat-cluster-tests")
        logger.logLevel = .critical
        var configuration = cluster.clientConfiguration()
        if asDocumentedUser {
            configuration.username = "bookcat"
            configuration.password = ManagedRedisTests.aclPassword
        }
        try await SharedStore.with { [configuration, logger] shared, versions in
            let identity = try await versions.catalogIdentity()
            let caches = (0..<2).map { index in
                RedisResponseCache(
                    client: RedisClient(configuration: index == 0 ? (first ?? configuration) : configuration, metrics: NOOPMetricsHandler.instance),
                    store: versions,
                    ttlSeconds: 300,
                    memoryBytes: 1 << 20,
                    metrics: NOOPMetricsHandler.instance,
                    logger: logger
                )
            }
            let generation = "bookcat:{v2:\(identity)}:generation"
            try await holdingLeases(caches) {
                try await TestApp.run(sharing: shared, cache: caches[0]) { first in
                    try await TestApp.run(sharing: shared, cache: caches[1]) { second in
                        try await test(first, second, generation)
                    }
                }
            }
        }
    }

    /// Fills `count` pages of 32 KiB each through a cache on `client`, then counts what Redis kept.
    static func pagesKept(_ count: Int, client: RedisConfiguration, counting: () async throws -> Int64) async throws -> Int64 {
        var logger = Logger(label: "bookcat-cluster-tests")
        logger.logLevel = .critical
        let redis = RedisClient(configuration: client, metrics: NOOPMetricsHandler.instance)
        let cache = RedisResponseCache(
            client: redis,
            store: UnwrittenStore(),
            ttlSeconds: 300,
            memoryBytes: 0,
            metrics: NOOPMetricsHandler.instance,
            logger: logger
        )
        for index in 0..<count {
            _ = try await cache.body(for: "page \(index)", policy: .normal) { body("page \(index)", size: 32_768, showing: []) }
        }
        let kept = try await counting()
        await redis.shutdown()
        return kept
    }
}
