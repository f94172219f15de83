import BookcatTestSupport
import Foundation
import Metrics
import NIOConcurrencyHelpers
import Testing

@testable import RedisClient

/// `REDIS_CLUSTER`: a real cluster of three primaries with a replica each (`redis-cli --cluster create`). Keys go
/// to the shard of their slot, pipelines are split per node, a slot migrated under traffic is followed (`ASK`,
/// `MOVED`), a killed primary's replica takes over, and pub/sub reaches subscribers on any node. One test at a time:
/// each starts six servers, beside every other suite.
@Suite("Redis Cluster", .serialized)
struct RedisClusterTests {
    @Test func hashSlotsAreRedisClusters() {
        // Values from the cluster specification and `CLUSTER KEYSLOT`.
        #expect(HashSlot.of(Array("123456789".utf8)) == 12_739)
        #expect(HashSlot.of(Array("foo".utf8)) == 12_182)
        #expect(HashSlot.of(Array("{user1000}.following".utf8)) == HashSlot.of(Array("user1000".utf8)))
        #expect(HashSlot.of(Array("foo{}{bar}".utf8)) == HashSlot.of(Array("foo{}{bar}".utf8)))
        #expect(HashSlot.of(Array("foo{{bar}}zap".utf8)) == HashSlot.of(Array("{bar".utf8)))
    }

    @Test func keysSpreadOverTheShardsAndPipelinesComeBackInOrder() async throws {
        try await RedisTestCluster.with { cluster in
            let client = RedisClient(configuration: cluster.clientConfiguration(), metrics: NOOPMetricsHandler.instance)
            let keys = (0..<300).map { "key-\($0)" }
            let set = try await client.send(pipeline: keys.map { ["SET", RedisArgument($0), RedisArgument("value of \($0)")] })
            #expect(set.allSatisfy { $0 == .simpleString("OK") })
            let got = try await client.send(pipeline: keys.map { ["GET", RedisArgument($0)] })
            #expect(got.map(\.string) == keys.map { "value of \($0)" })
            // Every primary holds a share.
            for node in cluster.nodes.prefix(3) {
                let inspector = node.inspector()
                let size = try await inspector.send("DBSIZE").integer ?? 0
                #expect(size > 50, "node \(node.port) holds \(size) of 300 keys")
                await inspector.shutdown()
            }
            await client.shutdown()
        }
    }

    /// `redis-cli --cluster reshard` moves a thousand slots, key by key, while a writer and a reader keep going:
    /// every read returns what was written last, and nothing fails.
    @Test func aReshardUnderTrafficIsFollowed() async throws {
        try await RedisTestCluster.with { cluster in
            let client = RedisClient(configuration: cluster.clientConfiguration(), metrics: NOOPMetricsHandler.instance)
            let keys = (0..<200).map { "moving-\($0)" }
            _ = try await client.send(pipeline: keys.map { ["SET", RedisArgument($0), "0"] })
            let source = try await cluster.primary(forKey: keys[0])
            let target = try #require(cluster.nodes.prefix(3).first { $0.port != source.port })
            let stop = NIOLockedValueBox(false)
            let traffic = Task {
                var round = 0
                var failures: [String] = []
                while !stop.withLockedValue({ $0 }) {
                    round += 1
                    let value = RedisArgument(String(round))
                    do {
                        let written = try await client.send(pipeline: keys.map { ["SET", RedisArgument($0), value] })
                        let read = try await client.send(pipeline: keys.map { ["GET", RedisArgument($0)] })
                        if let wrong = written.first(where: { $0 != .simpleString("OK") }) { failures.append("SET: \(wrong)") }
                        if let stale = read.first(where: { $0.string != String(round) }) { failures.append("GET: \(stale) in round \(round)") }
                    } catch {
                        failures.append("\(error)")
                    }
                }
                return (round, failures)
            }
            try await cluster.reshard(slots: 1_000, from: source, to: target)
            stop.withLockedValue { $0 = true }
            let (rounds, failures) = await traffic.value
            #expect(rounds > 1)
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            // The first key's slot may or may not have moved; every key still reads back.
            let after = try await client.send(pipeline: keys.map { ["GET", RedisArgument($0)] })
            #expect(after.allSatisfy { $0.string == String(rounds) })
            await client.shutdown()
        }
    }

    /// A primary is killed: its replica is promoted after the node timeout, and commands for its slots reach it,
    /// with what was written (and acknowledged by the replica) before. Commands for the other shards never stop.
    @Test func aKilledPrimarysReplicaTakesOver() async throws {
        try await RedisTestCluster.with { cluster in
            let client = RedisClient(configuration: cluster.clientConfiguration(), metrics: NOOPMetricsHandler.instance)
            // WAIT goes with the write, on its connection: the replica has it.
            let written = try await client.send(pipeline: [["SET", "survivor", "kept"], ["WAIT", "1", "5000"]])
            #expect(written == [.simpleString("OK"), .integer(1)])
            #expect(try await client.replicaCount(forKey: "survivor") == 1)
            let victim = try await cluster.primary(forKey: "survivor")
            let other = try #require(cluster.nodes.prefix(3).first { $0.port != victim.port })
            victim.stop()
            let killed = ContinuousClock.now
            // The other shards answer throughout.
            let otherShardKey = try await Self.key(servedBy: other, in: cluster)
            #expect(try await client.send("SET", RedisArgument(otherShardKey), "during").checked() == .simpleString("OK"))
            let recovered = try await eventually(timeout: .seconds(60)) {
                try? await client.send("GET", "survivor")
            } until: {
                $0?.string == "kept"
            }
            #expect(recovered?.string == "kept")
            let outage = ContinuousClock.now - killed
            // Documented: the node timeout, the election, and a refresh of the map (well under 10 s with a 1 s timeout).
            #expect(outage < .seconds(30), "\(outage)")
            #expect(try await client.send("SET", "survivor", "written after").checked() == .simpleString("OK"))
            await client.shutdown()
        }
    }

    /// Over TLS, as ElastiCache runs it: every node presents a certificate for its announced hostname only, so the
    /// client must reach each node by the name `CLUSTER NODES` and `MOVED` give, not by its IP address.
    @Test func overTLSNodesAreReachedByTheNamesTheyAnnounce() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        let tls = RedisServer.TLS(certificates: certificates, serverCertificate: certificates.nameOnlyCertificate)
        try await RedisTestCluster.with(replicasEach: 0, tls: tls) { cluster in
            let configuration = cluster.clientConfiguration()
            #expect(configuration.tls != nil)
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            let keys = (0..<100).map { "named-\($0)" }
            let set = try await client.send(pipeline: keys.map { ["SET", RedisArgument($0), RedisArgument($0)] })
            #expect(set.allSatisfy { $0 == .simpleString("OK") }, "\(set.first { $0 != .simpleString("OK") } as Any)")
            let got = try await client.send(pipeline: keys.map { ["GET", RedisArgument($0)] })
            #expect(got.map(\.string) == keys)
            await client.shutdown()
        }
    }

    @Test func aMessagePublishedOnOneNodeReachesASubscriberOnAnother() async throws {
        try await RedisTestCluster.with { cluster in
            let subscription = try await RedisSubscription.subscribe(to: ["changes"], configuration: cluster.clientConfiguration())
            let publisher = cluster.nodes[2].inspector()
            _ = try await publisher.send("PUBLISH", "changes", "from node 3").checked()
            for await message in subscription.messages {
                #expect(String(decoding: message.payload, as: UTF8.self) == "from node 3")
                break
            }
            subscription.close()
            await publisher.shutdown()
        }
    }

    /// A key whose slot `node` serves now, as `node` says.
    static func key(servedBy node: RedisServer, in cluster: RedisTestCluster) async throws -> String {
        let inspector = node.inspector()
        defer { Task { await inspector.shutdown() } }
        let slots = try await inspector.send("CLUSTER", "SLOTS").checked()
        guard case .array(let ranges) = slots else { throw TestFailure("CLUSTER SLOTS: \(slots)") }
        var served: [ClosedRange<Int>] = []
        for case .array(let fields) in ranges {
            guard let start = fields[0].integer, let end = fields[1].integer, case .array(let owner) = fields[2],
                owner[1].integer == Int64(node.port)
            else { continue }
            served.append(Int(start)...Int(end))
        }
        for index in 0..<10_000 {
            let key = "probe-\(index)"
            let slot = HashSlot.of(Array(key.utf8))
            if served.contains(where: { $0.contains(slot) }) { return key }
        }
        throw TestFailure("no key of the first ten thousand lives on \(node.port)")
    }
}
