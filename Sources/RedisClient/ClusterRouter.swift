import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Sends commands to a Redis Cluster: each to the primary serving its key's hash slot, a pipeline split into one
/// pipeline per node (sent at once, replies put back in order), `MOVED` and `ASK` followed, the slot map learned
/// from `CLUSTER NODES` and asked again when a node fails or a slot moves, and every few seconds.
///
/// A node that fails (a primary killed) fails the commands for its slots until the cluster has promoted a replica
/// and a refresh has learned it; commands for other nodes go on meanwhile.
final class ClusterRouter: Sendable {
    private let configuration: RedisConfiguration
    private let seeds: [RedisAddress]
    private let group: any EventLoopGroup
    private let metrics: any MetricsFactory
    /// Connections open across every node's pool.
    let open = NIOLockedValueBox(0)
    private let state = NIOLockedValueBox(State())

    private struct State {
        var map: ClusterSlotMap?
        var pools: [RedisAddress: RedisConnectionPool] = [:]
        /// The refresh under way, which every caller that needs one shares.
        var refreshing: Task<ClusterSlotMap, any Error>?
        var lastRefresh: ContinuousClock.Instant?
        var closed = false
    }

    /// Redirections one command may follow before it fails: a slot moves once per migration.
    static let redirections = 5
    /// A failure asks the cluster for its map at most this often.
    static let refreshInterval = Duration.milliseconds(100)

    init(configuration: RedisConfiguration, seeds: [RedisAddress], group: any EventLoopGroup, metrics: any MetricsFactory) {
        self.configuration = configuration
        self.seeds = seeds
        self.group = group
        self.metrics = metrics
    }

    /// The event loops the connections live on.
    var loops: [any EventLoop] { Array(group.makeIterator()) }

    // MARK: - Sending

    /// `WAIT` goes with the command before it, to the same node and on the same connection: it counts the replicas
    /// that have the writes of its own connection, so only there does it say anything about that command. When that
    /// command was redirected (it ran elsewhere after all), its `WAIT` answers 0: nothing is known.
    func send(pipeline commands: [[RedisArgument]]) async throws -> [RESPValue] {
        let map = try await currentMap()
        var replies = [RESPValue?](repeating: nil, count: commands.count)
        // One pipeline per node, in the order the commands came.
        var byNode: [RedisAddress: [Int]] = [:]
        var order: [RedisAddress] = []
        var previous: RedisAddress?
        for (index, command) in commands.enumerated() {
            let node = Self.isWait(command) && previous != nil ? previous! : try route(command, in: map)
            previous = node
            if byNode[node] == nil { order.append(node) }
            byNode[node, default: []].append(index)
        }
        try await withThrowingTaskGroup(of: (indices: [Int], replies: [RESPValue]).self) { tasks in
            for node in order {
                let indices = byNode[node] ?? []
                tasks.addTask { (indices, try await self.send(indices.map { commands[$0] }, to: node)) }
            }
            for try await (indices, nodeReplies) in tasks {
                for (index, reply) in zip(indices, nodeReplies) { replies[index] = reply }
            }
        }
        var answered: [RESPValue] = []
        answered.reserveCapacity(commands.count)
        var redirected = false
        for (index, reply) in replies.enumerated() {
            guard let reply else { throw RedisError.protocolError("no reply for command \(index)") }
            if Self.isWait(commands[index]) {
                answered.append(redirected ? .integer(0) : reply)
                continue
            }
            let followed = try await following(reply, of: commands[index], redirected: 0)
            redirected = Redirection(reply) != nil || reply.isTryAgain
            answered.append(followed)
        }
        return answered
    }

    private static func isWait(_ command: [RedisArgument]) -> Bool {
        command.first.map { String(decoding: $0.bytes, as: UTF8.self).uppercased() == "WAIT" } ?? false
    }

    /// How many replicas follow the primary serving `key`.
    func replicaCount(forKey key: String) async throws -> Int {
        try await currentMap().replicaCount(forSlot: HashSlot.of(Array(key.utf8)))
    }

    private func send(_ commands: [[RedisArgument]], to node: RedisAddress) async throws -> [RESPValue] {
        do {
            let connection = try await pool(for: node).connection()
            return try await connection.send(pipeline: commands, timeout: configuration.commandTimeout)
        } catch {
            // The node may be gone (a failover): the next command finds where its slots went.
            refreshSoon()
            throw error
        }
    }

    /// Follows `MOVED` (the slot lives elsewhere now: learned, and asked there) and `ASK` (the key is being
    /// migrated: asked there once, after `ASKING`), and retries `TRYAGAIN` (a migration holds the keys a moment).
    private func following(_ reply: RESPValue, of command: [RedisArgument], redirected: Int) async throws -> RESPValue {
        guard case .error(let message) = reply else { return reply }
        guard redirected < Self.redirections else { return reply }
        if let redirection = Redirection(reply) {
            if redirection.isMoved {
                learn(redirection)
                let replies = try await send([command], to: redirection.address)
                return try await following(replies[0], of: command, redirected: redirected + 1)
            }
            let replies = try await send([["ASKING"], command], to: redirection.address)
            return try await following(replies[1], of: command, redirected: redirected + 1)
        }
        if message.hasPrefix("TRYAGAIN") {
            try await Task.sleep(for: .milliseconds(10 << redirected))
            let map = try await currentMap()
            let replies = try await send([command], to: try route(command, in: map))
            return try await following(replies[0], of: command, redirected: redirected + 1)
        }
        return reply
    }

    private func learn(_ moved: Redirection) {
        guard moved.isMoved else { return }
        state.withLockedValue { $0.map?.move(slot: moved.slot, to: moved.address) }
        refreshSoon()
    }

    // MARK: - Routing

    /// The primary for the command's key, or any primary for a command without one.
    private func route(_ command: [RedisArgument], in map: ClusterSlotMap) throws -> RedisAddress {
        guard let key = Self.key(of: command) else { return map.primaries[0] }
        let slot = HashSlot.of(key)
        guard let node = map.primary(forSlot: slot) else {
            refreshSoon()
            throw RedisError.connectFailed("no node of the cluster serves hash slot \(slot) (CLUSTERDOWN, or a map still being learned)")
        }
        return node
    }

    /// The key a command is routed by: its first key. Commands without keys (PING, PUBLISH, TIME…) have none and go
    /// to any primary; per-node commands (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD) reach that one node only, and
    /// MULTI/EXEC is not supported: the cache sends none of them.
    static func key(of command: [RedisArgument]) -> [UInt8]? {
        guard let name = command.first?.bytes, command.count > 1 else { return nil }
        switch String(decoding: name, as: UTF8.self).uppercased() {
        case "PING", "PUBLISH", "TIME", "INFO", "ACL", "CLUSTER", "SCRIPT", "DBSIZE", "FLUSHALL", "WAIT", "ROLE", "AUTH", "ECHO", "KEYS",
            "SUBSCRIBE", "HELLO", "CONFIG", "MEMORY":
            return nil
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO":
            guard command.count > 3, let count = Int(String(decoding: command[2].bytes, as: UTF8.self)), count > 0 else { return nil }
            return command[3].bytes
        default:
            return command[1].bytes
        }
    }

    // MARK: - The slot map

    private func currentMap() async throws -> ClusterSlotMap {
        let (map, stale) = state.withLockedValue { state in
            (state.map, state.lastRefresh.map { ContinuousClock.now - $0 > Self.mapLifetime } ?? false)
        }
        guard let map else { return try await refresh() }
        // Replicas that joined or left, a failover nobody's command met: learned within a few seconds anyway.
        if stale { refreshSoon() }
        return map
    }

    /// How long a slot map is used before it is asked for again in the background.
    static let mapLifetime = Duration.seconds(5)

    /// Asks again in the background, at most every ``refreshInterval``.
    private func refreshSoon() {
        let due = state.withLockedValue { state -> Bool in
            if state.closed || state.refreshing != nil { return false }
            if let last = state.lastRefresh, ContinuousClock.now - last < Self.refreshInterval { return false }
            return true
        }
        if due { Task { _ = try? await refresh() } }
    }

    /// Asks the nodes it knows (then the seeds), in turn, for the slot map; the first full answer is taken.
    /// Concurrent callers share one refresh, and only the caller that started it applies its answer, in the same step
    /// that ends it: a late caller never puts back an older map, nor closes the pool of a node that serves again.
    @discardableResult
    func refresh() async throws -> ClusterSlotMap {
        let (task, started) = state.withLockedValue { state -> (Task<ClusterSlotMap, any Error>, Bool) in
            if let running = state.refreshing { return (running, false) }
            let candidates = (state.map?.nodes ?? []) + seeds
            let task = Task { try await self.ask(candidates) }
            state.refreshing = task
            return (task, true)
        }
        guard started else { return try await task.value }
        let result = await task.result
        let stale = state.withLockedValue { state -> [RedisConnectionPool] in
            state.refreshing = nil
            state.lastRefresh = .now
            guard case .success(let map) = result else { return [] }
            state.map = map
            // Pools of nodes that serve no slot now (a failed primary, a replica that was one) are closed.
            let gone = state.pools.filter { !map.primaries.contains($0.key) }
            for address in gone.keys { state.pools[address] = nil }
            return Array(gone.values)
        }
        for pool in stale { await pool.closeAll() }
        return try result.get()
    }

    private func ask(_ candidates: [RedisAddress]) async throws -> ClusterSlotMap {
        var failures: [String] = []
        var asked: Set<String> = []
        var partial: ClusterSlotMap?
        for node in candidates where asked.insert(node.description).inserted {
            do {
                let connection = try await RedisConnection.connect(to: nodeConfiguration(node), group: group)
                defer { connection.close() }
                let reply = try await connection.send(["CLUSTER", "NODES"], timeout: configuration.commandTimeout).checked()
                guard let text = reply.string, let map = ClusterSlotMap(nodesReply: text, askedAt: node) else {
                    failures.append("\(node) serves no slots")
                    continue
                }
                // A node that has not yet seen a failover may still name the failed primary: a map that leaves
                // slots unserved is taken only if no node gives a whole one (the best of them, then).
                if map.coversEverySlot { return map }
                if map.servedSlots > (partial?.servedSlots ?? 0) { partial = map }
                failures.append("\(node) knows no node for some slots")
            } catch RedisError.server(let message) where message.contains("cluster support disabled") {
                throw RedisError.configuration("\(node) is one server, not a cluster node: unset REDIS_CLUSTER and name it in REDIS_URL")
            } catch {
                failures.append("\(node): \(error)")
            }
        }
        if let partial { return partial }
        throw RedisError.connectFailed("no cluster node gave a slot map: \(failures.joined(separator: "; "))")
    }

    // MARK: - Connections

    private func nodeConfiguration(_ node: RedisAddress) -> RedisConfiguration {
        var configuration = self.configuration
        let reached = self.configuration.cluster?.addressMap[node] ?? node
        configuration.host = reached.host
        configuration.port = reached.port
        configuration.cluster = nil
        configuration.sentinel = nil
        return configuration
    }

    private func pool(for node: RedisAddress) throws -> RedisConnectionPool {
        try state.withLockedValue { state in
            if state.closed { throw RedisError.connectionClosed }
            if let pool = state.pools[node] { return pool }
            let pool = RedisConnectionPool(configuration: nodeConfiguration(node), group: group, metrics: metrics, open: open)
            state.pools[node] = pool
            return pool
        }
    }

    func closeAll() async {
        let pools = state.withLockedValue { state in
            state.closed = true
            state.refreshing?.cancel()
            return Array(state.pools.values)
        }
        for pool in pools { await pool.closeAll() }
    }
}

extension RESPValue {
    /// `-TRYAGAIN`: a migration holds the command's keys a moment.
    fileprivate var isTryAgain: Bool {
        if case .error(let message) = self { return message.hasPrefix("TRYAGAIN") }
        return false
    }
}

/// `-MOVED slot host:port` or `-ASK slot host:port`.
private struct Redirection {
    var isMoved: Bool
    var slot: Int
    var address: RedisAddress

    init?(_ reply: RESPValue) {
        guard case .error(let message) = reply else { return nil }
        let parts = message.split(separator: " ")
        guard parts.count == 3, parts[0] == "MOVED" || parts[0] == "ASK", let slot = Int(parts[1]), (0..<HashSlot.count).contains(slot),
            let address = RedisAddress(String(parts[2]))
        else { return nil }
        self.isMoved = parts[0] == "MOVED"
        self.slot = slot
        self.address = address
    }
}
