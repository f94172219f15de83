import BookcatCore
import BookcatHTTP
import BookcatPostgres
import Configuration
import Foundation
import Logging
import RedisClient
import SystemPackage

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
    /// Mebibytes of recently served bodies each process keeps in memory in front of Redis; 0 turns that tier off.
    public var cacheMemoryMB: Int = 32
    /// Failed logins and signups allowed before an account or address waits (see `LoginThrottle`).
    public var loginLimits = LoginLimits()

    public init() {}

    /// What `bookcat` runs with: the process environment, then the `.env` file in `directory` (if there is one)
    /// for what the environment does not set. Read with swift-configuration: `NAME=value` lines, `#` comments.
    ///
    /// Throws on the first invalid variable with a one-line message naming it.
    public static func load(directory: String = FileManager.default.currentDirectoryPath) async throws(ConfigurationError) -> AppConfiguration {
        let file: EnvironmentVariablesProvider
        do {
            file = try await EnvironmentVariablesProvider(environmentFilePath: FilePath(directory + "/.env"), allowMissing: true)
        } catch {
            throw ConfigurationError(variable: ".env", problem: "could not be read: \(error)")
        }
        return try load(from: ConfigReader(providers: [EnvironmentVariablesProvider(), file]))
    }

    /// The configuration these variables describe, as if they were the whole environment (tests, tools).
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> AppConfiguration {
        try load(from: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    /// Reads the configuration from `source`, each variable under its environment name (`HTTP_PORT`).
    ///
    /// Throws on the first invalid variable with a one-line message naming it.
    public static func load(from source: ConfigReader) throws(ConfigurationError) -> AppConfiguration {
        var config = AppConfiguration()
        let reader = EnvironmentReader(source)
        config.server.mode = try reader.choice("APP_ENV", default: .development)
        config.server.host = reader.string("HTTP_HOST") ?? config.server.host
        config.server.port = try reader.integer("HTTP_PORT", default: config.server.port, in: 0...65_535)
        config.databasePath = reader.string("DATABASE_PATH") ?? config.databasePath
        if let url = reader.string("DATABASE_URL") {
            do {
                config.postgres = try PostgresLocation(url: url)
            } catch {
                throw ConfigurationError(variable: "DATABASE_URL", problem: error.reason)
            }
        }
        config.databasePoolSize = try reader.integer("DATABASE_POOL_SIZE", default: config.databasePoolSize, in: 1...500)
        config.server.jwtAlgorithm = try reader.choice("JWT_ALGORITHM", default: .hs256)
        config.server.authScheme = reader.string("AUTH_HEADER") ?? config.server.authScheme
        if config.server.authScheme.contains(where: { $0.isWhitespace }) {
            throw ConfigurationError(variable: "AUTH_HEADER", problem: "must be a single word such as Bearer")
        }
        config.server.accessTokenTTL = try reader.integer("ACCESS_TOKEN_TTL", default: config.server.accessTokenTTL, in: 1...86_400)
        config.server.refreshTokenTTL = try reader.integer("REFRESH_TOKEN_TTL", default: config.server.refreshTokenTTL, in: 1...31_536_000)
        config.server.bcryptCost = try reader.integer("BCRYPT_COST", default: config.server.bcryptCost, in: 4...31)
        if let level = reader.string("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                let allowed = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: "LOG_LEVEL", problem: "must be one of \(allowed), got '\(level)'")
            }
            config.logLevel = parsed
        }
        if let url = reader.string("REDIS_URL"), url.lowercased() != "off" {
            guard var redis = RedisConfiguration(url: url) else {
                throw ConfigurationError(variable: "REDIS_URL", problem: "must look like redis://[:password@]host[:port][/db], or be 'off'")
            }
            redis.connectTimeout = .milliseconds(try reader.integer("REDIS_CONNECT_TIMEOUT_MS", default: 250, in: 1...60_000))
            redis.commandTimeout = .milliseconds(try reader.integer("REDIS_COMMAND_TIMEOUT_MS", default: 100, in: 1...60_000))
            redis.poolSize = try reader.integer("REDIS_POOL_SIZE", default: 4, in: 1...64)
            if let list = reader.string("REDIS_SENTINELS") {
                let addresses = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                let parsed = addresses.compactMap(RedisAddress.init)
                guard !parsed.isEmpty, parsed.count == addresses.count else {
                    throw ConfigurationError(variable: "REDIS_SENTINELS", problem: "must be host:port[,host:port…], got '\(list)'")
                }
                redis.sentinel = RedisSentinel(
                    sentinels: parsed,
                    primaryName: reader.string("REDIS_SENTINEL_PRIMARY") ?? "mymaster",
                    password: reader.string("REDIS_SENTINEL_PASSWORD")
                )
            }
            config.redis = redis
        }
        config.cacheTTL = try reader.integer("CACHE_TTL", default: config.cacheTTL, in: 1...86_400)
        config.cacheMemoryMB = try reader.integer("CACHE_MEMORY_MB", default: config.cacheMemoryMB, in: 0...65_536)
        config.server.trustForwardedFor = try reader.boolean("TRUST_FORWARDED_FOR", default: false)
        if let url = reader.string("PUBLIC_URL") {
            guard let base = PublicLinks.parseBase(url) else {
                throw ConfigurationError(variable: "PUBLIC_URL", problem: "must be http(s)://host[:port] with no path, got '\(url)'")
            }
            config.server.publicLinks.publicURL = base
        }
        if let list = reader.string("ALLOWED_HOSTS") {
            let hosts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard
                hosts.allSatisfy({
                    !$0.isEmpty
                        && $0.unicodeScalars.allSatisfy {
                            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ".-:[]".unicodeScalars.contains($0))
                        }
                })
            else {
                throw ConfigurationError(variable: "ALLOWED_HOSTS", problem: "must be host[:port][,host[:port]…], got '\(list)'")
            }
            config.server.publicLinks.allowedHosts = Set(hosts)
        }
        config.server.publicLinks.trustForwardedProto = config.server.trustForwardedFor
        config.loginLimits.signupsPerClient = try reader.integer(
            "SIGNUPS_PER_ADDRESS",
            default: config.loginLimits.signupsPerClient,
            in: 1...1_000_000
        )
        config.loginLimits.checksPerAccount = try reader.integer(
            "LOGINS_PER_MINUTE",
            default: config.loginLimits.checksPerAccount,
            in: 1...1_000_000
        )
        config.loginLimits.refreshesPerAccount = try reader.integer(
            "REFRESHES_PER_MINUTE",
            default: config.loginLimits.refreshesPerAccount,
            in: 1...1_000_000
        )
        config.server.cacheBypass = try reader.choice("CACHE_BYPASS", default: .admins)
        config.server.cacheBypassPerAccount = try reader.integer(
            "CACHE_BYPASS_PER_ACCOUNT",
            default: config.server.cacheBypassPerAccount,
            in: 1...100_000
        )
        config.server.metricsToken = reader.string("METRICS_TOKEN")
        config.server.idleTimeout = try reader.integer("HTTP_IDLE_TIMEOUT", default: config.server.idleTimeout, in: 1...3_600)
        config.server.headerTimeout = try reader.integer("HTTP_HEADER_TIMEOUT", default: config.server.headerTimeout, in: 1...3_600)
        config.server.bodyTimeout = try reader.integer("HTTP_BODY_TIMEOUT", default: config.server.bodyTimeout, in: 1...3_600)
        config.server.responseTimeout = try reader.integer("HTTP_RESPONSE_TIMEOUT", default: config.server.responseTimeout, in: 1...3_600)
        config.server.drainTimeout = try reader.integer("HTTP_DRAIN_TIMEOUT", default: config.server.drainTimeout, in: 1...3_600)
        config.server.maxConnections = try reader.integer("HTTP_MAX_CONNECTIONS", default: config.server.maxConnections, in: 1...1_000_000)
        config.server.maxConnectionsPerAddress = try reader.integer(
            "HTTP_MAX_CONNECTIONS_PER_ADDRESS",
            default: config.server.maxConnectionsPerAddress,
            in: 1...1_000_000
        )
        config.server.refreshReuseGrace = try reader.integer("REFRESH_REUSE_GRACE", default: config.server.refreshReuseGrace, in: 0...300)
        config.server.loanMaxQuantity = try reader.integer(
            "LOAN_MAX_QUANTITY",
            default: config.server.loanMaxQuantity,
            in: 1...LoanRules.maximumQuantity
        )
        // SECRET_KEY is what the previous service signed tokens with; JWT_SECRET_KEY wins when both are set.
        config.server.jwtSecret = reader.string("JWT_SECRET_KEY") ?? reader.string("SECRET_KEY")
        let secretVariable = reader.string("JWT_SECRET_KEY") == nil ? "SECRET_KEY" : "JWT_SECRET_KEY"
        if config.server.mode == .production {
            guard let secret = config.server.jwtSecret else {
                throw ConfigurationError(
                    variable: "JWT_SECRET_KEY",
                    problem: "must be set when APP_ENV=production; \(ProductionSecret.remedy)"
                )
            }
            if let weakness = ProductionSecret.weakness(of: secret) {
                throw ConfigurationError(variable: secretVariable, problem: "\(weakness); \(ProductionSecret.remedy)")
            }
        }
        if let secret = config.server.jwtSecret, secret.utf8.count < config.server.jwtAlgorithm.minimumKeyBytes {
            throw ConfigurationError(
                variable: secretVariable,
                problem:
                    "must be at least \(config.server.jwtAlgorithm.minimumKeyBytes) bytes for \(config.server.jwtAlgorithm.rawValue) (got \(secret.utf8.count))"
            )
        }
        return config
    }
}

/// One invalid configuration variable, printed as a single line.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var variable: String
    public var problem: String

    public var description: String { "configuration error: \(variable) \(problem)" }
}

/// Typed access to environment variables, with the service's own error messages; empty values count as unset.
private struct EnvironmentReader {
    let source: ConfigReader

    init(_ source: ConfigReader) { self.source = source }

    func string(_ name: String) -> String? {
        guard var value = source.string(forKey: ConfigKey([name]))?.trimmingCharacters(in: .whitespaces) else { return nil }
        // `.env` files written for shells often quote values; the quotes are not part of the value.
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
            value = String(value.dropFirst().dropLast())
        }
        return value.isEmpty ? nil : value
    }

    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let raw = string(name) else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError(variable: name, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
        }
        return value
    }

    func boolean(_ name: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = string(name) else { return fallback }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, problem: "must be true or false, got '\(raw)'")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws(ConfigurationError) -> T where T.RawValue == String {
        guard let raw = string(name) else { return fallback }
        guard let value = T.allCases.first(where: { $0.rawValue.lowercased() == raw.lowercased() }) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: name, problem: "must be one of \(allowed), got '\(raw)'")
        }
        return value
    }
}
