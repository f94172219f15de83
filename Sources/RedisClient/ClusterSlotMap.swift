/// Which primary serves each hash slot, and how many healthy replicas follow it, as a cluster node described it
/// (`CLUSTER NODES`: unlike `CLUSTER SLOTS`, it lists a replica before it has been sent any data).
struct ClusterSlotMap: Sendable, Equatable {
    /// The primaries, in the order the reply named them.
    private(set) var primaries: [RedisAddress] = []
    /// Per primary (same index): how many replicas follow it and are not failed.
    private(set) var replicaCounts: [Int] = []
    /// Every node named, primaries and replicas: where a later refresh may ask.
    private(set) var nodes: [RedisAddress] = []
    /// Slot → index into `primaries`, or -1 while no node is known to serve it.
    private var owners = [Int16](repeating: -1, count: HashSlot.count)

    init() {}

    /// Reads a `CLUSTER NODES` reply from `asked`: a line per node, `id ip:port@bus[,hostname] flags primary-id
    /// ping pong epoch link slot…`. A node is reached by its hostname when it announces one, else by its ip (or
    /// `asked`'s host when it has none). Nil when the text is not that shape or serves no slot.
    init?(nodesReply text: String, askedAt asked: RedisAddress) {
        var primaryIndex: [Substring: Int] = [:]
        var replicasOf: [Substring: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count >= 8 else { return nil }
            let flags = fields[2].split(separator: ",")
            if flags.contains("noaddr") || flags.contains("handshake") { continue }
            // `ip:port@bus,hostname`: the hostname, when the node announces one, is what a TLS certificate names and
            // what `MOVED` replies give (ElastiCache with TLS), so it is preferred to the IP.
            let endpoint = fields[1].prefix { $0 != "@" && $0 != "," }
            let hostname = fields[1].split(separator: ",", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]), (1...65_535).contains(port)
            else { return nil }
            let ip = endpoint[..<colon]
            let host = !hostname.isEmpty ? hostname : (ip.isEmpty ? asked.host : String(ip))
            let address = RedisAddress(host: host, port: port)
            if !nodes.contains(address) { nodes.append(address) }
            let failed = flags.contains("fail")
            if flags.contains("master") {
                primaryIndex[fields[0]] = primaries.count
                primaries.append(address)
                replicaCounts.append(0)
                for range in fields.dropFirst(8) where !range.hasPrefix("[") {
                    let bounds = range.split(separator: "-").compactMap { Int($0) }
                    guard let first = bounds.first, let last = bounds.last, bounds.count <= 2, 0 <= first, first <= last, last < HashSlot.count
                    else { return nil }
                    for slot in first...last { owners[slot] = Int16(primaries.count - 1) }
                }
            } else if flags.contains("slave"), !failed, fields[7] == "connected" {
                replicasOf[fields[3], default: 0] += 1
            }
        }
        for (primary, count) in replicasOf {
            if let index = primaryIndex[primary] { replicaCounts[index] = count }
        }
        if primaries.isEmpty || !owners.contains(where: { $0 >= 0 }) { return nil }
    }

    /// How many slots have a primary: a map that serves more is the better one to act on.
    var servedSlots: Int { owners.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }

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
        let index =
            primaries.firstIndex(of: address)
            ?? {
                primaries.append(address)
                replicaCounts.append(0)
                if !nodes.contains(address) { nodes.append(address) }
                return primaries.count - 1
            }()
        owners[slot] = Int16(index)
    }
}
