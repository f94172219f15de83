import Foundation
import Metrics
import RedisClient

/// A private `redis-server` on a loopback port, started once for all benchmarks (`Benchmark.setup`) and stopped by
/// its process id when they end (`Benchmark.teardown`).
final class LocalRedis: Sendable {
    nonisolated(unsafe) static var shared: LocalRedis?

    let configuration: RedisConfiguration
    private let process: Process

    private init(configuration: RedisConfiguration, process: Process) {
        self.configuration = configuration
        self.process = process
    }

    static func start() async throws {
        let executable = ProcessInfo.processInfo.environment["REDIS_SERVER"] ?? "redis-server"
        let port = Int.random(in: 20_000..<60_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let redis = LocalRedis(configuration: RedisConfiguration(host: "127.0.0.1", port: port), process: process)
        let probe = RedisClient(configuration: redis.configuration, metrics: NOOPMetricsHandler.instance)
        var answered = false
        for _ in 0..<100 where !answered {
            answered = (try? await probe.send("PING")) == .simpleString("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(50)) }
        }
        await probe.shutdown()
        guard answered else {
            redis.stop()
            throw BenchmarkFailure("\(executable) did not answer on port \(port); install redis-server or set REDIS_SERVER")
        }
        shared = redis
    }

    static func running() throws -> RedisConfiguration {
        guard let shared else { throw BenchmarkFailure("redis-server was not started") }
        return shared.configuration
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
    }
}
