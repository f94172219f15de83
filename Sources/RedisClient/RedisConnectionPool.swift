import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// A fixed number of connection slots, filled lazily and refilled after a connection dies.
///
/// Slots are spread over the event loops (slot `i` lives on loop `i mod loops`). A caller running on one of those
/// loops takes that loop's slots round-robin, so its command is written and its reply read on its own thread with
/// no hand-over between threads; other callers take every slot round-robin. A slot being (re)connected is shared by
/// everyone who asks for it meanwhile, so a burst of requests opens one connection per slot, not one per request.
actor RedisConnectionPool {
    private let configuration: RedisConfiguration
    /// The event loops the slots live on, in slot order.
    nonisolated let loops: [any EventLoop]
    private var slots: [Task<RedisConnection, any Error>?]
    private var nextSlot = 0
    /// Set by ``closeAll()``: a pool a cluster dropped (its node left) opens nothing more, and closes what a caller
    /// was still opening.
    private var closed = false
    /// Where the last connection opened reached: with Sentinel, it moves after a failover.
    private var primary: RedisAddress?
    private let open: NIOLockedValueBox<Int>
    private let openGauge: Gauge

    /// `open` counts the connections open, shared by the pools of one client (one per node of a cluster).
    init(configuration: RedisConfiguration, group: any EventLoopGroup, metrics: any MetricsFactory, open: NIOLockedValueBox<Int> = .init(0)) {
        self.configuration = configuration
        self.open = open
        self.openGauge = Gauge(label: "redis_pool_connections", factory: metrics)
        self.loops = Array(group.makeIterator())
        self.slots = Array(repeating: nil, count: max(1, configuration.poolSize))
    }

    /// Connections open right now (also exported as the `redis_pool_connections` gauge).
    nonisolated var openConnections: Int { open.withLockedValue { $0 } }

    func connection() async throws -> RedisConnection {
        if closed { throw RedisError.connectionClosed }
        let index = nextIndex()
        if let task = slots[index] {
            if let connection = try? await task.value, connection.isActive { return connection }
            // Only the first caller to find the slot dead replaces it; later ones use the replacement.
            if slots[index] == task { slots[index] = nil }
        }
        if let replacement = slots[index] { return try await replacement.value }
        let configuration = self.configuration
        let loop = loops[index % loops.count]
        let open = self.open
        let gauge = self.openGauge
        let task = Task {
            let connection = try await RedisConnection.connect(to: configuration, group: loop)
            gauge.record(
                open.withLockedValue {
                    $0 += 1
                    return $0
                }
            )
            connection.channel.closeFuture.whenComplete { _ in
                gauge.record(
                    open.withLockedValue {
                        $0 -= 1
                        return $0
                    }
                )
            }
            return connection
        }
        slots[index] = task
        do {
            let connection = try await task.value
            if closed {
                connection.close()
                throw RedisError.connectionClosed
            }
            if connection.address != primary { await follow(newPrimary: connection.address) }
            return connection
        } catch {
            if slots[index] == task { slots[index] = nil }
            throw error
        }
    }

    /// A new connection reached another server than the ones before it: the sentinels named a new primary. The
    /// older connections still reach the demoted one, which serves reads from its old data until Sentinel
    /// reconfigures it: they are closed now, and replaced on their next use.
    private func follow(newPrimary: RedisAddress) async {
        let previous = primary
        primary = newPrimary
        guard previous != nil else { return }
        for slot in slots {
            if let connection = try? await slot?.value, connection.address != newPrimary { connection.close() }
        }
    }

    private func nextIndex() -> Int {
        nextSlot &+= 1
        guard let loopIndex = loops.indexOfCurrentLoop, loopIndex < slots.count else { return nextSlot % slots.count }
        // The slots on this loop: loopIndex, loopIndex + loops.count, …
        let onThisLoop = (slots.count - loopIndex + loops.count - 1) / loops.count
        return loopIndex + (nextSlot % onThisLoop) * loops.count
    }

    func closeAll() async {
        closed = true
        for slot in slots {
            (try? await slot?.value)?.close()
        }
        slots = Array(repeating: nil, count: slots.count)
    }
}
