/// Which primary serves each hash slot, and which replicas follow it, as a cluster node described it (`CLUSTER SLOTS`).
struct ClusterSlotMap: Sendable, Equatable {
    /// The primaries, in the order the reply named them.
    private(set) var primaries: [RedisAddress] = []
    /// Per primary (same index): how many replicas it has.
    private(set) var replicaCounts: [Int] = []
    /// Every node named, primaries and replicas: where a later refresh may ask.
    private(set) var nodes: [RedisAddress] = []
    /// Slot → index into `primaries`, or -1 while no node is known to serve it.
    private var owners = [Int16](repeating: -1, count: HashSlot.count)

    init() {}

    /// Reads a `CLUSTER SLOTS` reply from `asked`: ranges `[start, end, [host, port, id…], replica…]`. A node with an
    /// empty host is `asked`'s host (Redis leaves it empty when it does not know how others reach it). Nil when the
    /// reply is not that shape or serves no slot.
    init?(slotsReply reply: RESPValue, askedAt asked: RedisAddress) {
        guard case .array(let ranges) = reply else { return nil }
        for range in ranges {
            guard case .array(let fields) = range, fields.count >= 3, let start = fields[0].integer, let end = fields[1].integer,
                0 <= start, start <= end, end < HashSlot.count, let primary = Self.address(fields[2], asked: asked)
            else { return nil }
            let replicas = fields.dropFirst(3).compactMap { Self.address($0, asked: asked) }
            let index = primaries.firstIndex(of: primary) ?? {
                primaries.append(primary)
                replicaCounts.append(0)
                return primaries.count - 1
            }()
            replicaCounts[index] = max(replicaCounts[index], replicas.count)
            for node in [primary] + replicas where !nodes.contains(node) { nodes.append(node) }
            for slot in Int(start)...Int(end) { owners[slot] = Int16(index) }
        }
        if primaries.isEmpty { return nil }
    }

    private static func address(_ node: RESPValue, asked: RedisAddress) -> RedisAddress? {
        guard case .array(let fields) = node, fields.count >= 2, let host = fields[0].string, let port = fields[1].integer,
            (1...65_535).contains(port), host != "?"
        else { return nil }
        return RedisAddress(host: host.isEmpty ? asked.host : host, port: Int(port))
    }

    func primary(forSlot slot: Int) -> RedisAddress? {
        let owner = owners[slot]
        return owner < 0 ? nil : primaries[Int(owner)]
    }

    /// How many replicas follow the primary of `slot`: whether a write there can be made to outlive a failover.
    func replicaCount(forSlot slot: Int) -> Int {
        let owner = owners[slot]
        return owner < 0 ? 0 : replicaCounts[Int(owner)]
    }

    /// Whether every slot has a primary: a cluster that serves every key.
    var coversEverySlot: Bool { !owners.contains(-1) }

    /// `MOVED slot address`: the slot is served by `address` now (a migration finished, or a failover).
    mutating func move(slot: Int, to address: RedisAddress) {
        let index = primaries.firstIndex(of: address) ?? {
            primaries.append(address)
            replicaCounts.append(0)
            if !nodes.contains(address) { nodes.append(address) }
            return primaries.count - 1
        }()
        owners[slot] = Int16(index)
    }
}
