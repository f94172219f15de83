import BookcatTestSupport
import Testing

@testable import RedisClient

@Suite("Subscriptions")
struct RedisSubscriptionTests {
    /// A lease holder retries subscribing while Redis is down; each failed attempt must fail cleanly (it once left a
    /// promise uncompleted, which a debug build stops the process for).
    @Test func subscribingToARedisThatIsDownFailsWithTheCause() async throws {
        let closedPort = try LoopbackPort.refusing()
        for _ in 0..<3 {
            do {
                _ = try await RedisSubscription.subscribe(to: ["changes"], configuration: RedisServer.at(port: closedPort).clientConfiguration())
                Issue.record("subscribed to a port nothing listens on")
            } catch {
                guard case .connectFailed = error else {
                    Issue.record("unexpected error: \(error)")
                    continue
                }
            }
        }
    }

    @Test func messagesArriveInTheOrderTheyWerePublished() async throws {
        try await RedisServer.with { redis in
            let subscription = try await RedisSubscription.subscribe(to: ["changes"], configuration: redis.clientConfiguration())
            let publisher = redis.inspector()
            for index in 0..<20 { _ = try await publisher.send("PUBLISH", "changes", RedisArgument("\(index)")).checked() }
            var received: [String] = []
            for await message in subscription.messages {
                received.append(String(decoding: message.payload, as: UTF8.self))
                if received.count == 20 { break }
            }
            #expect(received == (0..<20).map(String.init))
            subscription.close()
            await publisher.shutdown()
        }
    }
}
