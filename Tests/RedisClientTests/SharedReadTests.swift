import BookcatTestSupport
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisClient
import Testing

@Suite("Reads shared by callers who ask at the same time")
struct SharedReadTests {
    /// The promise that makes sharing safe: a caller never gets a reply older than a write acknowledged before it
    /// asked. Writers and readers race; every reader checks what it got against what it knew had been written.
    @Test func noCallerGetsAReplyFromBeforeItAsked() async throws {
        try await RedisServer.with { redis in
            let writer = redis.inspector()
            let reader = redis.inspector()
            let shared = SharedRead(client: reader, pipeline: [["GET", "counter"]])
            _ = try await writer.send("SET", "counter", "0")
            let stale = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<50 {
                            let written = try #require(try await writer.send("INCR", "counter").integer)
                            let seen = try await shared.read()[0].string.flatMap { Int64($0) } ?? -1
                            if seen < written { stale.withLockedValue { $0 += 1 } }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(stale.withLockedValue { $0 } == 0)
            await writer.shutdown()
            await reader.shutdown()
        }
    }

    @Test func callersWhoAskTogetherShareRoundTrips() async throws {
        try await RedisServer.with { redis in
            let client = redis.inspector()
            let shared = SharedRead(client: client, pipeline: [["GET", "generation"], ["GET", "epoch"]])
            _ = try await client.send("SET", "generation", "7")
            let calls = 200
            // Callers on one event loop, as requests are: they share that loop's queue.
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let replies = try await withThrowingTaskGroup(of: [RESPValue].self) { group in
                for _ in 0..<calls {
                    group.addTask { try await loop.makeFutureWithTask { try await shared.read() }.get() }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.count == calls)
            #expect(replies.allSatisfy { $0 == [.bulkString(Array("7".utf8)), .null] })
            let gets = try await redis.calls(of: "get")
            // Two GETs a round trip; one caller alone would have cost 400.
            #expect(gets < Int64(2 * calls))
            await client.shutdown()
        }
    }

    @Test func aFailureReachesEveryCallerWaitingForIt() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(
                configuration: redis.clientConfiguration(),
                metrics: NOOPMetricsHandler.instance
            )
            let shared = SharedRead(client: client, pipeline: [["GET", "generation"]])
            _ = try await shared.read()
            redis.stop()
            let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await shared.read()
                            return false
                        } catch {
                            return true
                        }
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(failures == 10)
            await client.shutdown()
        }
    }
}
