import BookcatTestSupport
import Foundation
import Metrics
import NIOPosix
import RedisClient
import Testing

@Suite("Redis client over hiredis and NIO")
struct RedisClientTests {
    @Test func argumentsAreBinarySafe() async throws {
        try await RedisServer.with { redis in
            let client = redis.inspector()
            let awkward: [UInt8] = [0, 13, 10, 36, 42, 255, 0] + Array("\r\n*3\r\n$3\r\nDEL".utf8)
            let set = try await client.send(["SET", RedisArgument(bytes: awkward), RedisArgument(bytes: awkward)])
            let get = try await client.send(["GET", RedisArgument(bytes: awkward)])
            let size = try await client.send("DBSIZE")
            #expect(set == .simpleString("OK"))
            #expect(get == .bulkString(awkward))
            #expect(size == .integer(1))
            await client.shutdown()
        }
    }

    @Test func repliesOfEveryKindAreCopiedIntoSwiftValues() async throws {
        try await RedisServer.with { redis in
            let client = redis.inspector()
            #expect(try await client.send("GET", "missing") == .null)
            #expect(try await client.send("RPUSH", "list", "a", "b") == .integer(2))
            #expect(try await client.send("LRANGE", "list", "0", "-1") == .array([.bulkString(Array("a".utf8)), .bulkString(Array("b".utf8))]))
            guard case .error(let message) = try await client.send("INCR", "list") else {
                Issue.record("expected an error reply")
                return
            }
            #expect(message.hasPrefix("WRONGTYPE"))
            await client.shutdown()
        }
    }

    @Test func concurrentCommandsArePipelinedAndMatchedToTheirReplies() async throws {
        try await RedisServer.with { redis in
            let client = redis.inspector()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let value = "value-\(index)"
                        _ = try await client.send("SET", RedisArgument("key-\(index)"), RedisArgument(value))
                        #expect(try await client.send("GET", RedisArgument("key-\(index)")).string == value)
                    }
                }
                try await group.waitForAll()
            }
            // Bounded: 200 concurrent commands share the configured two connections.
            #expect(client.openConnections == redis.clientConfiguration().poolSize)
            await client.shutdown()
        }
    }

    @Test func aHungServerTimesOutAndThenTheBreakerFailsFast() async throws {
        try await RedisServer.with { redis in
            let client = RedisClient(
                configuration: redis.clientConfiguration(commandTimeout: RedisServer.hungTimeout),
                metrics: NOOPMetricsHandler.instance
            )
            // A connection open before the pause (so the server hangs rather than refuses). On a loaded machine the
            // first answer can take longer than the short timeout, which is not what this test is about: ask again.
            let warm = try await eventually {
                try? await client.send("PING")
            } until: {
                $0 == .simpleString("PONG")
            }
            try #require(warm == .simpleString("PONG"))
            redis.pause()
            await #expect(throws: RedisError.timeout) { _ = try await client.send("PING") }
            for _ in 0..<3 { _ = try? await client.send("PING") }
            // Refused by the open breaker (`unavailable`), not after waiting out the command timeout as the hung
            // server made the first ones (`timeout`): the error says which, on however loaded a machine.
            await #expect(throws: RedisError.unavailable) { _ = try await client.send("PING") }
            redis.resume()
            // The breaker lets a probe through after its pause; the first may still meet the connection the timeout
            // closed, so ask until Redis answers (the helper gives up after five seconds and the check then fails).
            let reply = try await eventually {
                try? await client.send("PING")
            } until: {
                $0 == .simpleString("PONG")
            }
            #expect(reply == .simpleString("PONG"))
            await client.shutdown()
        }
    }

    /// The socket options the client sets must be ones any user may set: one that needs CAP_NET_ADMIN once kept
    /// every non-root process, and every container, off Redis while the tests (run as root) passed. Root hides
    /// such bugs, so this only proves something unprivileged; `scripts/test.sh` runs the tests that way.
    @Test(.enabled(if: geteuid() != 0, "run as an unprivileged user (scripts/test.sh does): root may set any socket option"))
    func connectsAsAnUnprivilegedUser() async throws {
        try await RedisServer.with { redis in
            let client = redis.inspector()
            let reply = try await client.send("PING")
            #expect(reply == .simpleString("PONG"))
            #expect(client.openConnections == 1)
            await client.shutdown()
        }
    }

    @Test func urlsAreParsed() throws {
        let full = try #require(RedisConfiguration(url: "redis://:s3cret@cache.internal:6380/2"))
        #expect(full.host == "cache.internal")
        #expect(full.port == 6380)
        #expect(full.password == "s3cret")
        #expect(full.database == 2)
        let plain = try #require(RedisConfiguration(url: "redis://localhost"))
        #expect(plain.port == 6379)
        #expect(plain.password == nil)
        #expect(plain.database == 0)
        for invalid in ["http://localhost", "redis://", "localhost:6379", "redis://host/abc"] {
            #expect(RedisConfiguration(url: invalid) == nil, "\(invalid)")
        }
    }
}

@Suite("The tests' own Redis servers")
struct TestRedisServerTests {
    /// Two parallel tests can be handed the same free port; the second must notice that the server answering there
    /// is not its own rather than share it (and its FLUSHALL, stop and pause) with the first.
    @Test func aServerStartedOnATakenPortRefusesToStandInForTheOther() async throws {
        try await RedisServer.with { first in
            let second = RedisServer.at(port: first.port)
            defer { second.stop() }
            await #expect(throws: RedisServer.PortTakenMeanwhile.self) { try await second.start() }
            // The first one is untouched.
            let client = first.inspector()
            let reply = try await client.send("PING")
            #expect(reply == .simpleString("PONG"))
            await client.shutdown()
        }
    }
}
