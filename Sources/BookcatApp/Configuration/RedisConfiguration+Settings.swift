import Foundation
import RedisClient

extension RedisConfiguration {
    /// The `REDIS_*` section: where the response cache lives, or nil when `REDIS_URL` is unset or `off`.
    static func read(from redis: Settings) throws(ConfigurationError) -> RedisConfiguration? {
        guard let url = redis.text("url"), url.lowercased() != "off" else { return nil }
        guard var configuration = RedisConfiguration(url: url) else {
            // Not echoed: the URL may hold a password.
            throw ConfigurationError(
                variable: redis.variable("url"),
                problem: "must be redis://[[user]:password@]host[:port][/db] (rediss:// for TLS), or 'off'"
            )
        }
        let tls = RedisTLS(caFile: redis.text("tlsCaFile"), certificateFile: redis.text("tlsCertFile"), keyFile: redis.text("tlsKeyFile"))
        if configuration.tls != nil {
            configuration.tls = tls
            // Read now, so a file that cannot work stops the start instead of failing every connection.
            do {
                _ = try tls.context()
            } catch {
                throw Self.naming(error, default: redis.variable("url"))
            }
        } else if tls != RedisTLS() {
            // Never a silent plain-text connection for an operator who asked for TLS by its files.
            throw ConfigurationError(
                variable: redis.variable("url"),
                problem: "is redis:// (plain text) while REDIS_TLS_* files are set: use rediss:// for TLS"
            )
        }
        configuration.connectTimeout = .milliseconds(try redis.wholeNumber("connectTimeoutMs", default: 250, in: 1...60_000))
        configuration.commandTimeout = .milliseconds(try redis.wholeNumber("commandTimeoutMs", default: 100, in: 1...60_000))
        configuration.poolSize = try redis.wholeNumber("poolSize", default: 4, in: 1...64)
        let sentinels = try addresses(redis, "sentinels")
        let cluster = try addresses(redis, "cluster")
        if let cluster {
            guard sentinels == nil else {
                throw ConfigurationError(
                    variable: redis.variable("cluster"),
                    problem: "and REDIS_SENTINELS cannot both be set: a cluster fails over on its own"
                )
            }
            guard configuration.database == 0 else {
                throw ConfigurationError(
                    variable: redis.variable("url"),
                    problem: "names database \(configuration.database), but a Redis Cluster has only database 0"
                )
            }
            configuration.cluster = RedisCluster(seeds: cluster)
        }
        if let sentinels {
            configuration.sentinel = RedisSentinel(
                sentinels: sentinels,
                primaryName: redis.text("sentinelPrimary") ?? "mymaster",
                password: redis.secret("sentinelPassword")
            )
        }
        return configuration
    }

    /// The error for TLS settings that cannot work, under the variable its message starts with (the file that failed).
    private static func naming(_ error: RedisError, default variable: String) -> ConfigurationError {
        guard case .configuration(let message) = error else { return ConfigurationError(variable: variable, problem: "\(error)") }
        let first = message.prefix { $0 != " " }
        guard first.hasPrefix("REDIS_TLS_") else { return ConfigurationError(variable: variable, problem: message) }
        return ConfigurationError(variable: String(first), problem: String(message.dropFirst(first.count + 1)))
    }

    /// A comma-separated list of `host:port` (sentinels, cluster nodes).
    private static func addresses(_ redis: Settings, _ key: String) throws(ConfigurationError) -> [RedisAddress]? {
        try redis.parsed(key, shape: "host:port[,host:port…]") { list -> [RedisAddress]? in
            let addresses = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = addresses.compactMap(RedisAddress.init)
            return !parsed.isEmpty && parsed.count == addresses.count ? parsed : nil
        }
    }
}
