import BookcatPostgres
import BookcatTestSupport
import Configuration
import Foundation
import RedisClient
import Synchronization
import Testing

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Configuration")
struct ConfigurationTests {
    @Test func defaultsMatchTheDocumentation() throws {
        let config = try AppConfiguration.load(from: [:])
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 8000)
        #expect(config.databasePath == "./data/catalog.sqlite3")
        #expect(config.server.jwtAlgorithm == .hs256)
        #expect(config.server.authScheme == "Bearer")
        #expect(config.server.accessTokenTTL == 900)
        #expect(config.server.refreshTokenTTL == 604_800)
        #expect(config.server.bcryptCost == 12)
        #expect(config.server.mode == .development)
        #expect(config.server.jwtSecret == nil)
        #expect(config.postgres == nil)
        #expect(config.databasePoolSize == 10)
    }

    @Test func databaseURLSelectsPostgreSQL() throws {
        let config = try AppConfiguration.load(from: [
            "DATABASE_URL": "postgres://app:pw@db:5432/catalog?sslmode=require", "DATABASE_POOL_SIZE": "25",
        ])
        #expect(config.postgres?.host == "db")
        #expect(config.postgres?.tls == .require)
        #expect(config.databasePoolSize == 25)
    }

    @Test func redisSentinelsNameThePrimary() throws {
        let config = try AppConfiguration.load(from: [
            "REDIS_URL": "redis://:secret@ignored:6379/2", "REDIS_SENTINELS": "s1.internal:26379, [::1]:26380",
            "REDIS_SENTINEL_PRIMARY": "catalog",
        ])
        let sentinel = try #require(config.redis?.sentinel)
        #expect(sentinel.sentinels == [.init(host: "s1.internal", port: 26379), .init(host: "::1", port: 26380)])
        #expect(sentinel.primaryName == "catalog" && sentinel.password == nil)
        #expect(config.redis?.password == "secret" && config.redis?.database == 2)
        let defaults = try AppConfiguration.load(from: ["REDIS_URL": "redis://x", "REDIS_SENTINELS": "s1:26379"])
        #expect(defaults.redis?.sentinel?.primaryName == "mymaster")
    }

    /// `rediss://` with an ACL user, the TLS files and the key prefix; TLS files are read at once, and naming them
    /// beside a plain `redis://` URL is refused rather than silently connecting in plain text.
    @Test func redisTLSUserAndPrefix() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        let config = try AppConfiguration.load(from: [
            "REDIS_URL": "rediss://bookcat:p%40ss@cache.internal:6380/0", "REDIS_TLS_CA_FILE": certificates.caFile,
            "REDIS_TLS_CERT_FILE": certificates.clientCertificate, "REDIS_TLS_KEY_FILE": certificates.clientKey, "REDIS_KEY_PREFIX": "team-a:books",
        ])
        #expect(config.redis?.username == "bookcat" && config.redis?.password == "p@ss" && config.redis?.port == 6380)
        #expect(
            config.redis?.tls
                == RedisTLS(caFile: certificates.caFile, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey)
        )
        #expect(config.cacheKeyPrefix == "team-a:books")
        #expect(try AppConfiguration.load(from: ["REDIS_URL": "rediss://cache"]).redis?.tls == RedisTLS())
        #expect(try AppConfiguration.load(from: ["REDIS_URL": "redis://cache"]).cacheKeyPrefix == "bookcat")

        let plain = Self.refusal(["REDIS_URL": "redis://cache", "REDIS_TLS_CA_FILE": certificates.caFile])
        #expect(plain?.variable == "REDIS_URL" && plain?.problem.contains("use rediss://") == true)
        let missing = Self.refusal(["REDIS_URL": "rediss://cache", "REDIS_TLS_CA_FILE": "/nonexistent/ca.pem"])
        #expect(missing?.variable == "REDIS_TLS_CA_FILE" && missing?.problem.contains("cannot be read") == true, "\(String(describing: missing))")
        let keyless = Self.refusal(["REDIS_URL": "rediss://cache", "REDIS_TLS_CERT_FILE": certificates.clientCertificate])
        #expect(keyless?.problem.contains("REDIS_TLS_KEY_FILE") == true)
    }

    @Test func redisClusterNamesItsSeeds() throws {
        let config = try AppConfiguration.load(from: ["REDIS_URL": "rediss://bookcat:pw@ignored", "REDIS_CLUSTER": "node-1:6379, [::1]:7000"])
        #expect(config.redis?.cluster?.seeds == [.init(host: "node-1", port: 6379), .init(host: "::1", port: 7000)])
        #expect(config.redis?.tls != nil && config.redis?.username == "bookcat")
        #expect(Self.refusal(["REDIS_URL": "redis://x/2", "REDIS_CLUSTER": "n:6379"])?.problem.contains("only database 0") == true)
        #expect(Self.refusal(["REDIS_URL": "redis://x", "REDIS_CLUSTER": "n:6379", "REDIS_SENTINELS": "s:26379"])?.variable == "REDIS_CLUSTER")
        #expect(Self.refusal(["REDIS_URL": "redis://x", "REDIS_CLUSTER": "n"])?.variable == "REDIS_CLUSTER")
    }

    @Test(arguments: [
        (["REDIS_URL": "redis://x", "REDIS_SENTINELS": "s1"], "REDIS_SENTINELS"),
        (["REDIS_URL": "redis://x", "REDIS_SENTINELS": "s1:26379,"], "REDIS_SENTINELS"),
        (["HTTP_PORT": "eighty"], "HTTP_PORT"),
        (["HTTP_PORT": "70000"], "HTTP_PORT"),
        (["JWT_ALGORITHM": "RS256"], "JWT_ALGORITHM"),
        (["BCRYPT_COST": "3"], "BCRYPT_COST"),
        (["ACCESS_TOKEN_TTL": "0"], "ACCESS_TOKEN_TTL"),
        (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
        (["APP_ENV": "staging"], "APP_ENV"),
        (["AUTH_HEADER": "Bearer Token"], "AUTH_HEADER"),
        (["APP_ENV": "production"], "JWT_SECRET_KEY"),
        (["APP_ENV": "production", "JWT_SECRET_KEY": "too-short"], "JWT_SECRET_KEY"),
        (["JWT_SECRET_KEY": String(repeating: "k", count: 40), "JWT_ALGORITHM": "HS512"], "JWT_SECRET_KEY"),
        (["SECRET_KEY": "short"], "SECRET_KEY"),
        (["DATABASE_URL": "mysql://app@db/catalog"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://app@db/catalog?sslmode=maybe"], "DATABASE_URL"),
        (["DATABASE_POOL_SIZE": "0"], "DATABASE_POOL_SIZE"),
    ])
    func invalidVariablesAreNamed(environment: [String: String], variable: String) {
        #expect {
            _ = try AppConfiguration.load(from: environment)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && error.description.hasPrefix("configuration error: \(variable) ")
        }
    }

    /// Each kind of setting says, in its error, what it allows and what it got.
    @Test(arguments: [
        ("HTTP_PORT", "eighty", "must be a whole number from 0 to 65535, got 'eighty'"),
        ("CACHE_TTL", "0", "must be a whole number from 1 to 86400, got '0'"),
        ("HTTP_IDLE_TIMEOUT", "1.5", "must be a whole number from 1 to 3600, got '1.5'"),
        ("TRUST_FORWARDED_FOR", "maybe", "must be true or false, got 'maybe'"),
        ("CACHE_BYPASS", "admin", "must be one of admins, everyone, nobody, got 'admin'"),
        ("LOG_LEVEL", "loud", "must be one of trace, debug, info, notice, warning, error, critical, got 'loud'"),
        ("JWT_ALGORITHM", "RS256", "must be one of HS256, HS384, HS512, got 'RS256'"),
        ("PUBLIC_URL", "https://books.example.org/api", "must be http(s)://host[:port] with no path, got 'https://books.example.org/api'"),
        ("ALLOWED_HOSTS", "books.example.org,/", "must be host[:port][,host[:port]…], got 'books.example.org,/'"),
        ("DATABASE_URL", "mysql://app@db/catalog", "must look like postgres://user:password@host:5432/database"),
        ("REDIS_URL", "http://user:pw@cache", "must be redis://[[user]:password@]host[:port][/db] (rediss:// for TLS), or 'off'"),
        ("REDIS_KEY_PREFIX", "{tag}", "must be 1 to 64 letters, digits and . _ - : (no braces, no spaces), got '{tag}'"),
    ])
    func eachKindOfSettingNamesWhatItAllows(variable: String, value: String, problem: String) throws {
        let error = try #require(Self.refusal([variable: value]))
        #expect(error.variable == variable)
        #expect(error.problem == problem)
    }

    /// A value that is present but invalid is refused, never replaced by the default (swift-configuration's own
    /// `int(forKey:default:)` would fall back silently); an empty one counts as unset.
    @Test func anInvalidValueIsNeverTheDefault() throws {
        #expect(Self.refusal(["HTTP_PORT": "8000x"])?.variable == "HTTP_PORT")
        #expect(Self.refusal(["TRUST_FORWARDED_FOR": "flase"])?.variable == "TRUST_FORWARDED_FOR")
        #expect(try AppConfiguration.load(from: ["HTTP_PORT": "", "CACHE_BYPASS": "  "]).server.port == 8000)
        #expect(try AppConfiguration.load(from: ["HTTP_PORT": " '8080' "]).server.port == 8080)
    }

    /// Every variable docs/configuration.md's table documents is read, under the name swift-configuration's
    /// environment provider gives its key, and nothing else is: the table, the code and the provider agree.
    @Test func everyDocumentedVariableIsReadUnderItsOwnName() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let documented = Set(
            readme.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("` |") }.compactMap { row -> String? in
                let name = row.dropFirst(3).prefix { $0 != "`" }
                return name.allSatisfy { $0.isUppercase || $0 == "_" } ? String(name) : nil
            }
        )
        #expect(documented.count > 30)
        let reads = AccessRecorder()
        let environment = ["REDIS_URL": "redis://cache", "REDIS_SENTINELS": "s1:26379", "PUBLIC_URL": "https://books.example.org"]
        let source = EnvironmentVariablesProvider(environmentVariables: environment)
        _ = try AppConfiguration.load(from: ConfigReader(provider: source, accessReporter: reads))
        let events = reads.events.withLock { $0 }
        for event in events {
            let encoded = try event.providerResults.map { try $0.result.get().encodedKey }
            #expect(encoded == [EnvironmentName.of(event.metadata.key.components)])
        }
        #expect(Set(events.map { EnvironmentName.of($0.metadata.key.components) }) == documented)
    }

    /// Records what a configuration read asked for.
    final class AccessRecorder: AccessReporter {
        let events = Mutex<[AccessEvent]>([])
        func report(_ event: AccessEvent) { events.withLock { $0.append(event) } }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")

    /// The configuration error `environment` is refused with, or nil when it loads.
    static func refusal(_ environment: [String: String]) -> ConfigurationError? {
        do {
            _ = try AppConfiguration.load(from: environment)
            return nil
        } catch {
            return error
        }
    }

    /// The value `.env.example` ships, read from the file itself.
    static func exampleSecret() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.env.example")
        let line = try #require(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("JWT_SECRET_KEY=") })
        return String(line.dropFirst("JWT_SECRET_KEY=".count))
    }

    @Test(arguments: ["JWT_SECRET_KEY", "SECRET_KEY"])
    func productionRefusesThePublishedPlaceholderAndGuessableSecrets(variable: String) throws {
        let refused = [
            try Self.exampleSecret(),
            String(repeating: "s", count: 64),
            "abcabcabcabcabcabcabcabcabcabcabcabc",
            "please-changeme-before-going-live-0123456789",
            // The second audit: each of these started in production.
            String(repeating: "12345678", count: 4),
            "YOUR_SECRET_KEY_HERE_REPLACE_WITH_RANDOM_STRING",
            TestApp.secret,
            "local-test-secret-0123456789abcdef",
            "benchmark-secret-0123456789abcdef0123",
            "replica-test-secret-0123456789abcdef-0123456789",
            "upgrade-test-secret-0123456789abcdef-0123456789",
            // The third audit: these started in production; no list of words can catch every phrase.
            "s3cr3t-k3y-for-th3-b00kcat-s3rv1c3-pr0d",
            "correct horse battery staple and more words",
            "Tr0ub4dor&3-was-my-first-password-in-1998!!",
            "w4lrus-v1ol1n-m4rgin-q8-qu1ck-zebr4-k1tten",
        ]
        for secret in refused {
            #expect(secret.utf8.count >= 32)
            let error = try #require(Self.refusal(["APP_ENV": "production", variable: secret]), "production accepted \(secret)")
            #expect(error.variable == variable)
            #expect(error.description.contains("openssl rand -hex 32"))
            // Development keeps working with whatever it is given.
            #expect(try AppConfiguration.load(from: [variable: secret]).server.jwtSecret == secret)
        }
    }

    @Test func productionAcceptsALongEnoughSecret() throws {
        let secret = "9f2c1e7a4b8d3f60a5e1c7b2d9f4a6e8"
        let config = try AppConfiguration.load(from: ["APP_ENV": "production", "JWT_SECRET_KEY": secret, "JWT_ALGORITHM": "hs256"])
        #expect(config.server.jwtSecret == secret)
        #expect(config.server.mode == .production)
    }

    /// Every format a generator writes is accepted, as the generator writes it: hex and base64 of 32 random bytes,
    /// base64url, UUIDs, `tr -dc a-z0-9`, and a Django SECRET_KEY as `get_random_secret_key()` makes them (the
    /// Django service's users bring theirs). A thousand of each from a seeded generator, so a run is repeatable;
    /// the check refuses about one random base64 key in two hundred thousand (a mark such as `bench` by chance),
    /// which docs/security.md says.
    @Test func productionAcceptsEveryGeneratedFormat() throws {
        var random = SplitMix64(seed: 41)
        let djangoAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)")
        let lowerAlphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        for _ in 0..<1_000 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
            let uuid = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
            let keys = [
                bytes.map { String(format: "%02x", $0) }.joined(),
                Data(bytes).base64EncodedString(),
                Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
                String((0..<50).map { _ in djangoAlphabet.randomElement(using: &random)! }),
                String((0..<32).map { _ in lowerAlphanumerics.randomElement(using: &random)! }),
                [uuid.prefix(8), uuid.dropFirst(8).prefix(4), uuid.dropFirst(12).prefix(4), uuid.dropFirst(16).prefix(4), uuid.dropFirst(20)]
                    .joined(separator: "-"),
            ]
            for key in keys {
                #expect(ProductionSecret.weakness(of: key) == nil, "refused the generated key \(key)")
            }
        }
    }

    /// A small seeded generator (SplitMix64), so the thousand keys above are the same every run.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func legacySecretKeyIsUsedWhenJWTSecretKeyIsAbsent() throws {
        let legacy = String(repeating: "l", count: 32)
        #expect(try AppConfiguration.load(from: ["SECRET_KEY": legacy]).server.jwtSecret == legacy)
        let preferred = String(repeating: "p", count: 32)
        #expect(try AppConfiguration.load(from: ["SECRET_KEY": legacy, "JWT_SECRET_KEY": preferred]).server.jwtSecret == preferred)
    }

    /// `bookcat` reads a `.env` beside it for what the environment leaves unset. An empty value stays empty (a
    /// parser that skipped to the next line once made `METRICS_TOKEN=` swallow the line after it).
    @Test func aDotEnvFileFillsWhatTheEnvironmentLeavesUnset() async throws {
        let folder = TemporaryFolder("dotenv")
        defer { folder.remove() }
        let dotEnv = """
            # comment
            HTTP_PORT=9000
            METRICS_TOKEN=
            HTTP_IDLE_TIMEOUT=45
            AUTH_HEADER='JWT'
            JWT_SECRET_KEY="\(String(repeating: "s", count: 40))"
            REFRESH_REUSE_GRACE=3
            not a line
            """
        try folder.write(dotEnv, to: ".env")
        // Set in the process environment too: the environment wins.
        setenv("REFRESH_REUSE_GRACE", "7", 1)
        defer { unsetenv("REFRESH_REUSE_GRACE") }
        let config = try AppConfiguration.load(directory: folder.url.path)
        #expect(config.server.port == 9000)
        #expect(config.server.metricsToken == nil)
        #expect(config.server.idleTimeout == 45)
        #expect(config.server.authScheme == "JWT")
        #expect(config.server.jwtSecret == String(repeating: "s", count: 40))
        #expect(config.server.refreshReuseGrace == 7)
    }

    @Test func noDotEnvFileMeansTheDefaults() async throws {
        let folder = TemporaryFolder("no-dotenv")
        defer { folder.remove() }
        let config = try AppConfiguration.load(directory: folder.url.path)
        #expect(config.server.idleTimeout == AppConfiguration().server.idleTimeout)
    }

    @Test func anInvalidValueInTheFileIsNamed() async throws {
        let folder = TemporaryFolder("bad-dotenv")
        defer { folder.remove() }
        try folder.write("HTTP_HEADER_TIMEOUT=soon\n", to: ".env")
        #expect(throws: ConfigurationError.self) { _ = try AppConfiguration.load(directory: folder.url.path) }
        do {
            _ = try AppConfiguration.load(directory: folder.url.path)
        } catch {
            #expect("\(error)".contains("HTTP_HEADER_TIMEOUT"))
        }
    }
}
