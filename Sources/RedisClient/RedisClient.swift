import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The project's Redis client: a bounded connection pool behind a circuit breaker, with every command bounded by
/// the configured timeouts. Nothing here blocks a thread: NIO does the I/O and callers await replies.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    /// One server (directly or through Sentinel), or a cluster's nodes.
    private let topology: Topology
    private let breaker: CircuitBreaker
    private let latency: Timer
    /// The last transport failure, kept so that a command refused by the open breaker can still name the cause.
    private let lastFailure = NIOLockedValueBox<RedisError?>(nil)
    /// Set when a reply shows the server is not what the configuration says (a cluster node reached as one server):
    /// every command would fail the same way until an operator changes the settings.
    private let misconfiguration = NIOLockedValueBox<RedisError?>(nil)
    /// Told once, when the misconfiguration is first seen: the service logs it at once, loudly.
    private let onMisconfiguration: (@Sendable (RedisError) -> Void)?

    /// `metrics` receives the command latency and the open-connection count; the process-wide factory unless a
    /// test passes its own. `onMisconfiguration` hears, once, that the server is not what the configuration says.
    public init(
        configuration: RedisConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: any MetricsFactory,
        onMisconfiguration: (@Sendable (RedisError) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.onMisconfiguration = onMisconfiguration
        self.latency = Timer(label: "redis_command_duration_seconds", preferredDisplayUnit: .seconds, factory: metrics)
        if let cluster = configuration.cluster {
            self.topology = .cluster(ClusterRouter(configuration: configuration, seeds: cluster.seeds, group: group, metrics: metrics))
        } else {
            self.topology = .single(RedisConnectionPool(configuration: configuration, group: group, metrics: metrics))
        }
        self.breaker = CircuitBreaker(threshold: configuration.failureThreshold, openDuration: configuration.openDuration)
    }

    /// Sends one command. Server error replies are returned as ``RESPValue/error(_:)``, not thrown: they prove the
    /// server is answering. Transport failures throw ``RedisError`` and count toward opening the circuit breaker.
    public func send(_ arguments: [RedisArgument]) async throws(RedisError) -> RESPValue {
        try await send(pipeline: [arguments])[0]
    }

    /// Sends several commands in one round trip on one connection; replies come back in order. Server error
    /// replies are returned, not thrown, as with the single command. On a cluster, a pipeline is one per node, and a
    /// `WAIT` goes with the command before it (see ``ClusterRouter``).
    public func send(pipeline commands: [[RedisArgument]]) async throws(RedisError) -> [RESPValue] {
        try await measured { () async throws -> (reply: [RESPValue], address: RedisAddress?) in
            switch topology {
            case .single(let pool):
                let connection = try await pool.connection()
                let reply = try await connection.send(pipeline: commands, timeout: configuration.commandTimeout)
                // A primary demoted by a failover refuses writes: this connection is to the wrong server now, and the
                // next one opened in its place goes to the promoted replica (through the sentinels, or a DNS name
                // that follows the promotion, as ElastiCache's primary endpoint does).
                if reply.contains(where: Self.isReadOnlyError) { connection.close() }
                return (reply, connection.address)
            case .cluster(let router):
                return (try await router.send(pipeline: commands), nil)
            }
        }
    }

    /// How many replicas follow the primary that serves `key`: 0 on one server (whose replicas, if any, are
    /// Sentinel's to promote).
    public func replicaCount(forKey key: String) async throws(RedisError) -> Int {
        guard case .cluster(let router) = topology else { return 0 }
        do {
            return try await router.replicaCount(forKey: key)
        } catch {
            throw (error as? RedisError) ?? .connectionClosed
        }
    }

    /// Runs one exchange through the breaker, timing it and noting what its replies say of the server.
    private func measured(
        _ exchange: () async throws -> (reply: [RESPValue], address: RedisAddress?)
    ) async throws(RedisError) -> [RESPValue] {
        guard breaker.allowRequest() else { throw .unavailable }
        let start = ContinuousClock.now
        do {
            let (reply, address) = try await exchange()
            if configuration.cluster == nil, let clusterReply = reply.first(where: Self.isClusterRedirection) {
                let error = RedisError.configuration(
                    "\(address?.description ?? "the server") is a Redis Cluster node (it answered \(clusterReply)), but REDIS_URL names one server: set REDIS_CLUSTER to the cluster's nodes"
                )
                let first = misconfiguration.withLockedValue { seen in
                    defer { seen = error }
                    return seen == nil
                }
                if first { onMisconfiguration?(error) }
            }
            breaker.recordSuccess()
            lastFailure.withLockedValue { $0 = nil }
            latency.recordNanoseconds(TimeAmount(ContinuousClock.now - start).nanoseconds)
            return reply
        } catch {
            breaker.recordFailure()
            let failure = (error as? RedisError) ?? .connectionClosed
            lastFailure.withLockedValue { $0 = failure }
            throw failure
        }
    }

    public func send(_ arguments: RedisArgument...) async throws(RedisError) -> RESPValue {
        try await send(arguments)
    }

    /// Why `error` happened, for operators: where Redis was expected and, when the breaker refused the command,
    /// the failure that opened it. Never includes the password.
    public func describeFailure(_ error: any Error) -> String {
        let endpoint = configuration.endpointDescription
        if case RedisError.unavailable = error, let cause = lastFailure.withLockedValue({ $0 }) {
            return "\(endpoint): \(cause)"
        }
        return "\(endpoint): \(error)"
    }

    /// Checks that Redis answers and is what the configuration says it is: the failure, when one was seen, that no
    /// retry mends (``misconfiguration``), or the transport's. For health checks.
    public func probe() async throws(RedisError) {
        if let misconfigured = misconfiguration.withLockedValue({ $0 }) { throw misconfigured }
        _ = try await send("PING").checked()
    }

    /// Replies only a cluster node gives: a key that lives on another node, keys of one command on several slots, or
    /// a cluster that cannot serve.
    private static func isClusterRedirection(_ reply: RESPValue) -> Bool {
        guard case .error(let message) = reply else { return false }
        return message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") || message.hasPrefix("CROSSSLOT") || message.hasPrefix("CLUSTERDOWN")
    }

    private static func isReadOnlyError(_ reply: RESPValue) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("READONLY") }
        return false
    }

    /// Connections to Redis open right now.
    public var openConnections: Int {
        switch topology {
        case .single(let pool): pool.openConnections
        case .cluster(let router): router.open.withLockedValue { $0 }
        }
    }

    /// The event loops the connections live on.
    var loops: [any EventLoop] {
        switch topology {
        case .single(let pool): pool.loops
        case .cluster(let router): router.loops
        }
    }

    public func shutdown() async {
        switch topology {
        case .single(let pool): await pool.closeAll()
        case .cluster(let router): await router.closeAll()
        }
    }

    private enum Topology: Sendable {
        case single(RedisConnectionPool)
        case cluster(ClusterRouter)
    }
}
