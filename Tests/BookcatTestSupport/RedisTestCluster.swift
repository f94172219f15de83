import Foundation
import Metrics
import RedisClient

/// A real Redis Cluster for one test: `primaries` primaries with `replicasEach` replicas each, every node a
/// `redis-server --cluster-enabled yes` on a free loopback port, joined by `redis-cli --cluster create`. Every node is
/// stopped (by its process id) when the test ends, also when it fails.
public struct RedisTestCluster: Sendable {
    /// Every node, in the order `redis-cli` was given them: the primaries first, then the replicas.
    public let nodes: [RedisServer]
    /// How long a node may be silent before the others fail it over (`cluster-node-timeout`).
    public let nodeTimeout: Duration
    /// TLS on every node's port (the cluster bus and replication too), each announcing the hostname `localhost`, as
    /// ElastiCache's nodes announce theirs: clients must reach them by name to verify their certificates.
    public let tls: RedisServer.TLS?

    /// `arguments` go to every node (`--user` lines). `maxmemory` per node, when given (with `allkeys-lru`, as a cache runs), so tests can compare what fits.
    public static func with<Value: Sendable>(
        primaries: Int = 3,
        replicasEach: Int = 1,
        nodeTimeout: Duration = .milliseconds(1_000),
        maxmemory: String? = nil,
        arguments: [String] = [],
        tls: RedisServer.TLS? = nil,
        _ body: (RedisTestCluster) async throws -> Value
    ) async throws -> Value {
        let folder = TemporaryFolder("cluster")
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        defer { folder.remove() }
        let count = primaries * (1 + replicasEach)
        let tlsArguments =
            tls == nil
            ? []
            : [
                "--tls-cluster", "yes", "--tls-replication", "yes", "--cluster-announce-hostname", "localhost", "--cluster-preferred-endpoint-type",
                "hostname",
            ]
        return try await withNodes(
            count,
            folder: folder,
            nodeTimeout: nodeTimeout,
            maxmemory: maxmemory,
            arguments: arguments + tlsArguments,
            tls: tls
        ) {
            nodes in
            let cluster = RedisTestCluster(nodes: nodes, nodeTimeout: nodeTimeout, tls: tls)
            try await cluster.create(replicasEach: replicasEach)
            return try await body(cluster)
        }
    }

    private static func withNodes<Value: Sendable>(
        _ count: Int,
        folder: TemporaryFolder,
        nodeTimeout: Duration,
        maxmemory: String?,
        arguments extra: [String],
        tls: RedisServer.TLS?,
        _ body: ([RedisServer]) async throws -> Value
    ) async throws -> Value {
        guard count > 0 else { return try await body([]) }
        let arguments =
            [
                "--cluster-enabled", "yes", "--cluster-config-file",
                folder.url.appendingPathComponent("nodes-\(count)-\(UUID().uuidString).conf").path,
                "--cluster-node-timeout", String(Int(nodeTimeout / .milliseconds(1))), "--dir", folder.url.path,
                // The bus port defaults to the port + 10000, which is no port at all above 55535 (and may be taken).
                "--cluster-port", String(try LoopbackPort.free()),
            ] + (maxmemory.map { ["--maxmemory", $0, "--maxmemory-policy", "allkeys-lru"] } ?? []) + extra
        return try await RedisServer.with(tls: tls, arguments: arguments) { node in
            try await withNodes(count - 1, folder: folder, nodeTimeout: nodeTimeout, maxmemory: maxmemory, arguments: extra, tls: tls) { rest in
                try await body([node] + rest)
            }
        }
    }

    /// `host:port` of every node, as `REDIS_CLUSTER` takes them: by name over TLS.
    public var seeds: [RedisAddress] { nodes.map { RedisAddress(host: tls == nil ? "127.0.0.1" : "localhost", port: $0.port) } }

    /// A client configuration for the cluster, with the tests' roomy timeouts.
    public func clientConfiguration() -> RedisConfiguration {
        var configuration = nodes[0].clientConfiguration()
        configuration.cluster = RedisCluster(seeds: seeds)
        return configuration
    }

    private func create(replicasEach: Int) async throws {
        // Through the plain ports the tests inspect by: the nodes meet each other on their (TLS) bus either way.
        let plain = nodes.map { RedisAddress(host: "127.0.0.1", port: $0.inspectionPort).description }
        try await Self.redisCLI(["--cluster", "create"] + plain + ["--cluster-replicas", String(replicasEach), "--cluster-yes"])
        try await untilEveryNodeAgrees()
        // Every replica attached, so a write can be acknowledged by one (`WAIT`).
        for primary in nodes.prefix(nodes.count / (1 + replicasEach)) where replicasEach > 0 {
            let inspector = primary.inspector()
            defer { Task { await inspector.shutdown() } }
            let replication = try await eventually(timeout: .seconds(60)) {
                (try? await inspector.send("INFO", "replication").string) ?? ""
            } until: {
                $0.contains("connected_slaves:\(replicasEach)") && $0.contains("state=online")
            }
            guard replication.contains("connected_slaves:\(replicasEach)") else { throw TestFailure("replicas of \(primary.port): \(replication)") }
        }
    }

    /// Waits until every live node says the cluster is `ok` and that every slot is served.
    public func untilEveryNodeAgrees(among live: [RedisServer]? = nil) async throws {
        for node in live ?? nodes {
            let inspector = node.inspector()
            defer { Task { await inspector.shutdown() } }
            let agreed = try await eventually(timeout: .seconds(60)) {
                (try? await inspector.send("CLUSTER", "INFO").string) ?? ""
            } until: {
                $0.contains("cluster_state:ok") && $0.contains("cluster_slots_ok:16384")
            }
            guard agreed.contains("cluster_state:ok") else { throw TestFailure("node \(node.port) never agreed: \(agreed)") }
        }
    }

    /// The node serving `key`'s slot as a primary now, asked of `node` (the first by default).
    public func primary(forKey key: String, askingNode node: RedisServer? = nil) async throws -> RedisServer {
        let inspector = (node ?? nodes[0]).inspector()
        defer { Task { await inspector.shutdown() } }
        let slot = try await inspector.send("CLUSTER", "KEYSLOT", RedisArgument(key)).checked().integer ?? -1
        let slots = try await inspector.send("CLUSTER", "SLOTS").checked()
        guard case .array(let ranges) = slots else { throw TestFailure("CLUSTER SLOTS: \(slots)") }
        for case .array(let fields) in ranges {
            guard let start = fields[0].integer, let end = fields[1].integer, (start...end).contains(slot),
                case .array(let owner) = fields[2], let port = owner[1].integer
            else { continue }
            if let server = nodes.first(where: { $0.port == Int(port) }) { return server }
        }
        throw TestFailure("no node serves slot \(slot)")
    }

    /// The node's id in the cluster (`CLUSTER MYID`).
    public func id(of node: RedisServer) async throws -> String {
        let inspector = node.inspector()
        defer { Task { await inspector.shutdown() } }
        guard let id = try await inspector.send("CLUSTER", "MYID").checked().string else { throw TestFailure("no id for \(node.port)") }
        return id
    }

    /// Moves `slots` slots from `source` to `target` with `redis-cli --cluster reshard`, key by key (`MIGRATE`):
    /// clients meet `ASK` while a slot moves and `MOVED` after.
    public func reshard(slots: Int, from source: RedisServer, to target: RedisServer) async throws {
        let from = try await id(of: source)
        let to = try await id(of: target)
        try await Self.redisCLI([
            "--cluster", "reshard", RedisAddress(host: "127.0.0.1", port: nodes[0].inspectionPort).description, "--cluster-from", from,
            "--cluster-to", to, "--cluster-slots", String(slots),
            "--cluster-yes", "--cluster-pipeline", "10",
        ])
    }

    /// Runs `redis-cli` to completion, without blocking a thread while it runs; throws with what it said when it
    /// fails. Its output goes to a file: a reshard prints a line per slot, more than a pipe holds.
    static func redisCLI(_ arguments: [String]) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("redis-cli-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = try RedisServer.executable().deletingLastPathComponent().appendingPathComponent("redis-cli")
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? output.close()
        guard status == 0 else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw TestFailure("redis-cli \(arguments.joined(separator: " ")) failed: \(said.suffix(2_000))")
        }
    }
}
