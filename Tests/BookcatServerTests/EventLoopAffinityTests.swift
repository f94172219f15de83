import BookcatTestSupport
import Dispatch
import HTTPTypes
import HummingbirdTesting
import Metrics
import NIOPosix
import RedisClient
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// `bookcat serve` runs its requests with ``EventLoopAffineExecutor`` (the other suites drive the application under
/// Swift's default executor): the mechanism itself, and the whole service through a real socket and Redis under it.
@Suite("Event-loop affinity")
struct EventLoopAffinityTests {
    @Test func tasksAndTheirChildrenRunOnEventLoopsEvenAfterAWakeUpFromAnotherThread() async throws {
        let onLoops = try await withEventLoopAffinity {
            var seen = [MultiThreadedEventLoopGroup.currentEventLoop != nil]
            // Woken from a dispatch queue, as GRDB's continuations are.
            await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume() } }
            seen.append(MultiThreadedEventLoopGroup.currentEventLoop != nil)
            seen += try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { MultiThreadedEventLoopGroup.currentEventLoop != nil } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            return seen
        }
        #expect(onLoops == Array(repeating: true, count: 10))
        // And without it, not (the check above can fail).
        #expect(MultiThreadedEventLoopGroup.currentEventLoop == nil)
    }

    @Test func theServiceAnswersReadsHitsAndWritesUnderIt() async throws {
        try await RedisServer.with { redis in
            try await withEventLoopAffinity {
                try await TestApp.run(.live, cache: redis.responseCache()) { app in
                    let token = try await app.admin().accessToken
                    _ = try await app.createBook(token: token, ["title": "First"])
                    #expect(try await app.send(.get, "/api/v1/books", token: token).cacheOutcome == "MISS")
                    // Sixteen at once, as the benchmark sends them: every one a hit with the same body.
                    let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                        for _ in 0..<16 {
                            group.addTask {
                                let response = try await app.send(.get, "/api/v1/books", token: token)
                                #expect(response.cacheOutcome == "HIT")
                                return response.text
                            }
                        }
                        return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                    }
                    #expect(bodies.count == 1)
                    _ = try await app.createBook(token: token, ["title": "Second"])
                    let after = try await app.send(.get, "/api/v1/books", token: token)
                    #expect(after.cacheOutcome == "MISS")
                    #expect(try after.object().int("count") == 2)
                }
            }
        }
    }

    /// Slot `i` lives on loop `i mod loops`; a caller on a loop uses only that loop's slots, so its command and
    /// reply never change threads. A caller off the loops uses every slot.
    @Test func aCallerOnAnEventLoopUsesTheConnectionsOnItsLoop() async throws {
        try await RedisServer.with { redis in
            var configuration = redis.clientConfiguration()
            configuration.poolSize = 4
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator()).count
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            @Sendable func clientIDs() async throws -> Set<Int64> {
                var ids = Set<Int64>()
                for _ in 0..<24 { ids.insert(try #require(try await client.send("CLIENT", "ID").integer)) }
                return ids
            }
            // Off the loops first: every slot is used, so all four connect now. (Connecting runs in a task of its
            // own, whose wake-up could move the caller to another loop; with every slot open nothing connects below.)
            #expect(try await clientIDs().count == 4)
            let onOneLoop = try await withEventLoopAffinity { try await clientIDs() }
            #expect(onOneLoop.count == (4 + loops - 1) / loops)
            await client.shutdown()
        }
    }
}
