import NIOCore

extension RedisConfiguration {
    /// Where the primary is now: the configured server, or the one the first sentinel to answer names.
    ///
    /// Asked for every new connection, so connections opened after a failover (the demoted primary's are closed by
    /// Sentinel itself) reach the promoted replica.
    func primaryAddress(group: any EventLoopGroup) async throws(RedisError) -> RedisAddress {
        guard let sentinel else { return RedisAddress(host: host, port: port) }
        var failures: [String] = []
        for address in sentinel.sentinels {
            do {
                if let primary = try await Self.ask(address, for: sentinel, tls: tls, timeout: connectTimeout, group: group) { return primary }
                failures.append("\(address) knows no primary named \(sentinel.primaryName)")
            } catch {
                failures.append("\(error)")
            }
        }
        throw .connectFailed("no sentinel named the primary \(sentinel.primaryName): \(failures.joined(separator: "; "))")
    }

    /// `SENTINEL get-master-addr-by-name` on one sentinel (over TLS when the primary is reached over TLS): the primary's address, or nil when it monitors no such name.
    private static func ask(
        _ address: RedisAddress,
        for sentinel: RedisSentinel,
        tls: RedisTLS?,
        timeout: Duration,
        group: any EventLoopGroup
    ) async throws -> RedisAddress? {
        let connection = try await RedisConnection.open(address, tls: tls, timeout: timeout, group: group)
        defer { connection.close() }
        var commands: [[RedisArgument]] = []
        if let password = sentinel.password { commands.append(["AUTH", RedisArgument(password)]) }
        commands.append(["SENTINEL", "get-master-addr-by-name", RedisArgument(sentinel.primaryName)])
        let replies = try await connection.send(pipeline: commands, timeout: timeout)
        for reply in replies { _ = try reply.checked() }
        guard case .array(let fields)? = replies.last, fields.count == 2, let host = fields[0].string,
            let port = fields[1].string.flatMap({ Int($0) })
        else { return nil }
        return RedisAddress(host: host, port: port)
    }
}
