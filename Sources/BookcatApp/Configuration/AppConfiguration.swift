import BookcatCore
import BookcatHTTP
import BookcatPostgres
import Configuration
import Foundation
import Logging
import RedisClient

/// Everything the service reads from its environment, validated once at start-up: the HTTP server's settings, and
/// those of the adapters it is composed of (the store, Redis and the cache).
public struct AppConfiguration: Sendable {
    public var server = ServerConfiguration()
    public var databasePath: String = "./data/catalog.sqlite3"
    /// `DATABASE_URL`: the PostgreSQL store, for many replicas on one database; nil keeps SQLite at `databasePath`.
    public var postgres: PostgresLocation?
    /// Connections each process may open to PostgreSQL.
    public var databasePoolSize: Int = 10
    public var logLevel: Logger.Level = .info
    /// Where the response cache lives; nil disables caching.
    public var redis: RedisConfiguration?
    /// Seconds a cached body lives at most (invalidation usually ends it sooner).
    public var cacheTTL: Int = 300
    /// What every cache key and channel starts with (`REDIS_KEY_PREFIX`), before the catalog's identity: a key pattern
    /// of the service's own for an ACL user, on a Redis that other services share.
    public var cacheKeyPrefix = "bookcat"
    /// Mebibytes of recently served bodies each process keeps in memory in front of Redis; 0 turns that tier off.
    public var cacheMemoryMB: Int = 32
    /// Failed logins and signups allowed before an account or address waits (see `LoginThrottle`).
    public var loginLimits = LoginLimits()

    public init() {}

    /// What `bookcat` runs with: the process environment, then the `.env` file in `directory` (if there is one)
    /// for what the environment does not set (`NAME=value` lines, `#` comments).
    ///
    /// Throws on the first invalid variable with a one-line message naming it.
    public static func load(directory: String = FileManager.default.currentDirectoryPath) throws(ConfigurationError) -> AppConfiguration {
        let path = directory + "/.env"
        var file: [String: String] = [:]
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(variable: ".env", problem: "could not be read at \(path)")
            }
            file = EnvironmentValues.dotEnv(String(decoding: data, as: UTF8.self))
        }
        return try load(
            from: ConfigReader(providers: [
                EnvironmentVariablesProvider(environmentVariables: EnvironmentValues.normalized(ProcessInfo.processInfo.environment)),
                EnvironmentVariablesProvider(environmentVariables: EnvironmentValues.normalized(file)),
            ])
        )
    }

    /// The configuration these variables describe, as if they were the whole environment (tests, tools).
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> AppConfiguration {
        try load(from: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: EnvironmentValues.normalized(environment))))
    }

    /// Reads the configuration from `source`, a key per variable (`["http", "port"]` is `HTTP_PORT`), each section
    /// by the type it configures: `ServerConfiguration`, `RedisConfiguration`, `LoginLimits`, and the store and
    /// cache here.
    ///
    /// Throws on the first invalid variable with a one-line message naming it.
    public static func load(from source: ConfigReader) throws(ConfigurationError) -> AppConfiguration {
        let settings = Settings(source)
        var config = AppConfiguration()
        config.server = try ServerConfiguration(settings: settings)
        config.loginLimits = try LoginLimits(settings: settings)
        config.logLevel = try settings.choice("logLevel", default: config.logLevel)

        let database = settings.scoped(to: "database")
        config.databasePath = database.text("path") ?? config.databasePath
        config.postgres = try database.parsed("url", shape: "a postgres:// URL", PostgresLocation.init(url:))
        config.databasePoolSize = try database.wholeNumber("poolSize", default: config.databasePoolSize, in: 1...500)

        let redis = settings.scoped(to: "redis")
        config.redis = try RedisConfiguration.read(from: redis)
        // Braces would make a Redis Cluster hash tag of the prefix; spaces and other characters make ACL patterns murky.
        config.cacheKeyPrefix =
            try redis.parsed("keyPrefix", shape: "1 to 64 letters, digits and . _ - : (no braces, no spaces)") { prefix in
                let allowed = prefix.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-:".unicodeScalars.contains($0))
                }
                return allowed && (1...64).contains(prefix.count) ? prefix : nil
            } ?? config.cacheKeyPrefix
        let cache = settings.scoped(to: "cache")
        config.cacheTTL = try cache.wholeNumber("ttl", default: config.cacheTTL, in: 1...86_400)
        config.cacheMemoryMB = try cache.wholeNumber("memoryMb", default: config.cacheMemoryMB, in: 0...65_536)
        return config
    }
}
