import Foundation
import RedisClient

extension RedisConfiguration {
    /// The `REDIS_*` section: where the response cache lives, or nil when `REDIS_URL` is unset or `off`.
    static func read(from redis: Settings) throws(ConfigurationError) -> RedisConfiguration? {
        guard let url = redis.text("url"), url.lowercased() != "off" else { return nil }
        guard var configuration = RedisConfiguration(url: url) else {
            throw redis.invalid("url", mustBe: "redis://[:password@]host[:port][/db], or 'off'")
        }
        configuration.connectTimeout = .milliseconds(try redis.wholeNumber("connectTimeoutMs", default: 250, in: 1...60_000))
        configuration.commandTimeout = .milliseconds(try redis.wholeNumber("commandTimeoutMs", default: 100, in: 1...60_000))
        configuration.poolSize = try redis.wholeNumber("poolSize", default: 4, in: 1...64)
        let sentinels = try redis.parsed("sentinels", shape: "host:port[,host:port…]") { list -> [RedisAddress]? in
            let addresses = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = addresses.compactMap(RedisAddress.init)
            return !parsed.isEmpty && parsed.count == addresses.count ? parsed : nil
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
}
