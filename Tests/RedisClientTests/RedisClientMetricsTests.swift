import BookcatTestSupport
import MetricsTestKit
import RedisClient
import Testing

/// The client's metrics, read from swift-metrics' test factory.
@Suite("Redis client metrics")
struct RedisClientMetricsTests {
    @Test func everyAnsweredRoundTripIsTimedAndOpenConnectionsAreGauged() async throws {
        try await RedisServer.with { redis in
            let metrics = TestMetrics()
            let client = RedisClient(configuration: redis.clientConfiguration(), metrics: metrics)
            #expect(try await client.send("PING") == .simpleString("PONG"))
            _ = try await client.send(pipeline: [["SET", "k", "v"], ["GET", "k"]])
            let latency = try metrics.expectTimer("redis_command_duration_seconds")
            // One sample per round trip (a pipeline is one), each a positive duration.
            #expect(latency.values.count == 2)
            #expect(latency.values.allSatisfy { $0 > 0 })
            #expect(try metrics.expectGauge("redis_pool_connections").lastValue == Double(client.openConnections))
            await client.shutdown()
            // Counted down as each connection's close completes, which the shutdown starts but does not await.
            let open = try await eventually {
                try metrics.expectGauge("redis_pool_connections").lastValue
            } until: {
                $0 == 0
            }
            #expect(open == 0)
        }
    }

    @Test func aFailedCommandIsNotTimed() async throws {
        try await RedisServer.with { redis in
            let metrics = TestMetrics()
            let client = RedisClient(
                configuration: redis.clientConfiguration(),
                metrics: metrics
            )
            redis.stop()
            await #expect(throws: (any Error).self) { _ = try await client.send("PING") }
            #expect((try? metrics.expectTimer("redis_command_duration_seconds"))?.values.isEmpty ?? true)
            await client.shutdown()
        }
    }
}
