import Foundation

/// Where Redis is and how patiently to talk to it.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The ACL user (Redis 6 and later) to authenticate as; nil authenticates the default user with `password`.
    public var username: String?
    public var password: String?
    public var database: Int
    /// TLS for every connection (`rediss://`), to the server and to sentinels alike; nil for plain TCP.
    public var tls: RedisTLS?
    public var connectTimeout: Duration = .milliseconds(250)
    public var commandTimeout: Duration = .milliseconds(100)
    /// Connections kept open; commands are spread over them and pipelined on each.
    public var poolSize: Int = 4
    /// Consecutive failures that open the circuit breaker, and how long it stays open before a probe.
    public var failureThreshold: Int = 3
    public var openDuration: Duration = .seconds(1)
    /// Redis Sentinel: when set, the sentinels name the primary to connect to, and `host` and `port` are not used.
    public var sentinel: RedisSentinel?
    /// Redis Cluster: when set, these nodes are asked for the slot map and each command goes to the primary of its
    /// key's slot; `host` and `port` are not used.
    public var cluster: RedisCluster?

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0, tls: RedisTLS? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS verified against the system's
    /// trust store (set ``tls`` to trust another CA or to present a client certificate). User and password are
    /// percent-decoded.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "redis" || scheme == "rediss",
            let host = components.host, !host.isEmpty
        else { return nil }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard path.isEmpty || Int(path).map({ (0...65_535).contains($0) }) == true, let port = components.port ?? 6379 as Int?,
            (1...65_535).contains(port)
        else { return nil }
        let username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        let password = components.password.flatMap { $0.isEmpty ? nil : $0 }
        // A user without a password cannot authenticate: refused rather than silently connecting as the default user.
        guard username == nil || password != nil else { return nil }
        self.init(
            host: host,
            port: port,
            username: username,
            password: password,
            database: Int(path) ?? 0,
            tls: scheme == "rediss" ? RedisTLS() : nil
        )
    }

    /// What every new connection sends before anything else: `AUTH [user] password` and `SELECT db`, as configured.
    var handshake: [[RedisArgument]] {
        var commands: [[RedisArgument]] = []
        if let password {
            commands.append(["AUTH"] + (username.map { [RedisArgument($0)] } ?? []) + [RedisArgument(password)])
        }
        if database != 0 { commands.append(["SELECT", RedisArgument(database)]) }
        return commands
    }

    /// Where Redis is, for a log line or an error: never the credentials.
    public var endpointDescription: String {
        let scheme = tls == nil ? "" : " over TLS"
        if let cluster {
            return "Redis Cluster (seeds \(cluster.seeds.map(\.description).joined(separator: ", ")))\(scheme)"
        }
        if let sentinel {
            return "Redis primary \(sentinel.primaryName) (sentinels \(sentinel.sentinels.map(\.description).joined(separator: ", ")))\(scheme)"
        }
        return "Redis at \(RedisAddress(host: host, port: port))\(scheme)"
    }
}

/// A Redis primary watched by Sentinel: each new connection asks the sentinels (in order, until one answers) which
/// server is the primary now, and checks that the server agrees (`ROLE`), so after a failover connections go to the
/// promoted replica.
public struct RedisSentinel: Sendable, Equatable {
    public var sentinels: [RedisAddress]
    /// The name the sentinels monitor the primary under (`sentinel monitor NAME …`).
    public var primaryName: String
    /// The sentinels' own password (`requirepass` in their configuration), if they have one.
    public var password: String?

    public init(sentinels: [RedisAddress], primaryName: String, password: String? = nil) {
        self.sentinels = sentinels
        self.primaryName = primaryName
        self.password = password
    }
}

/// A Redis Cluster, by the nodes first asked for its slot map (any of its nodes will do; more survive one's loss).
public struct RedisCluster: Sendable, Equatable {
    public var seeds: [RedisAddress]
    /// Where to connect for a node the cluster names, when something stands between (a NAT, or a test's proxy):
    /// the cluster announces its nodes' own addresses, in `CLUSTER NODES` and in `MOVED`. Empty: connect to those.
    public var addressMap: [RedisAddress: RedisAddress]

    public init(seeds: [RedisAddress], addressMap: [RedisAddress: RedisAddress] = [:]) {
        self.seeds = seeds
        self.addressMap = addressMap
    }
}

/// Where a Redis server (or a sentinel) listens.
public struct RedisAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[v6address]:port` for IPv6); nil when it is not that.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
