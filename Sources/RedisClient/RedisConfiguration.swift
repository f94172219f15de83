import Foundation

/// Where Redis is and how patiently to talk to it.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int
    public var connectTimeout: Duration = .milliseconds(250)
    public var commandTimeout: Duration = .milliseconds(100)
    /// Connections kept open; commands are spread over them and pipelined on each.
    public var poolSize: Int = 4
    /// Consecutive failures that open the circuit breaker, and how long it stays open before a probe.
    public var failureThreshold: Int = 3
    public var openDuration: Duration = .seconds(1)

    public init(host: String, port: Int = 6379, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// Parses `redis://[:password@]host[:port][/db]`.
    public init?(url: String) {
        guard let components = URLComponents(string: url), components.scheme == "redis",
            let host = components.host, !host.isEmpty
        else { return nil }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard path.isEmpty || Int(path) != nil, let port = components.port ?? 6379 as Int?, (1...65_535).contains(port) else { return nil }
        self.init(host: host, port: port, password: components.password.flatMap { $0.isEmpty ? nil : $0 }, database: Int(path) ?? 0)
    }
}
