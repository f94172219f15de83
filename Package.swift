// swift-tools-version:6.3
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "bookcat",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bookcat", targets: ["bookcat"]),
        // For the benchmark package in Benchmarks/ only: the modules a cache hit is made of. Not an API.
        .library(
            name: "BookcatModulesForBenchmarks",
            targets: [
                "BookcatCore", "BookcatAccounts", "BookcatCache", "BookcatHTTP", "BookcatSQLite", "BookcatTestSupport", "RedisClient",
            ]
        ),
    ],
    // Exact versions, and every package they bring in pinned in Package.pins, which scripts/generate/
    // write-package-resolved.sh turns into Package.resolved before each build (docs/decisions/ says why).
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", exact: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", exact: "5.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", exact: "1.6.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", exact: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
    ],
    targets: [
        // Domain: models, validation, the listing query, repository and cache ports. No HTTP, no SQL.
        .target(
            name: "BookcatCore",
            swiftSettings: swiftSettings
        ),
        // Hex and SHA-256 fingerprints: how cache keys, ETags, token hashes and random secrets are written.
        .target(
            name: "BookcatDigest",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Adapter: the SQLite store behind the repository ports.
        .target(
            name: "BookcatSQLite",
            dependencies: [
                "BookcatCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Adapter: the PostgreSQL store behind the same ports, for many replicas on one database.
        .target(
            name: "BookcatPostgres",
            dependencies: [
                "BookcatCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // hiredis, the C library: its protocol encoder and reply reader. Only RedisClient imports it.
        // No pkgConfig: hiredis's .pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a warning on every
        // build, and its headers are in the default include path (the shim includes <hiredis/hiredis.h>).
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // A Redis client: NIO owns the sockets, hiredis speaks the protocol.
        .target(
            name: "RedisClient",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Adapter: the response cache in Redis behind the ResponseCache port.
        .target(
            name: "BookcatCache",
            dependencies: [
                "BookcatCore",
                "BookcatDigest",
                "RedisClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The account rules: signing up, logging in, sessions and their tokens, password hashes (bcrypt, and the
        // Django service's) on threads of their own. Used by the HTTP module and by `bookcat user create`.
        .target(
            name: "BookcatAccounts",
            dependencies: [
                "BookcatCore",
                "BookcatDigest",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP: routes, DTOs, middleware, authentication, the caching policy, `buildApplication`. It knows the store
        // and the cache only through BookcatCore's ports: no adapter, no Redis client.
        .target(
            name: "BookcatHTTP",
            dependencies: [
                "BookcatCore",
                "BookcatAccounts",
                "BookcatDigest",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The spec is small and compiled in; Swagger UI's 1.8 MB are files in the resource bundle next to the
            // binary (as byte-array literals they would take the compiler minutes).
            resources: [.embedInCode("Resources/REST_API_SPEC.yaml"), .copy("Resources/swagger-ui")],
            swiftSettings: swiftSettings
        ),
        // The composition root: reads the configuration, opens the configured store, Redis and the cache, and
        // builds the live dependencies the HTTP module runs on; and what only the command line does with them
        // (copy, import, reconcile the cache after a command's writes, probe a running server's health).
        .target(
            name: "BookcatApp",
            dependencies: [
                "BookcatCore",
                "BookcatAccounts",
                "BookcatDigest",
                "BookcatHTTP",
                "BookcatSQLite",
                "BookcatPostgres",
                "BookcatCache",
                "RedisClient",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bookcat",
            dependencies: [
                "BookcatApp",
                "BookcatAccounts",
                "BookcatHTTP",
                "BookcatCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the test targets share: a real redis-server per test, temporary folders, waiting for conditions, cache helpers.
        .target(
            name: "BookcatTestSupport",
            dependencies: [
                "BookcatCore",
                "BookcatPostgres",
                "BookcatCache",
                "RedisClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/BookcatTestSupport",
            swiftSettings: swiftSettings
        ),
        // The store's ports kept in memory: what the HTTP module's tests run on (no adapter, no database), and the
        // third store the store-contract suite holds to the same rules as SQLite and PostgreSQL.
        .target(
            name: "BookcatInMemoryStore",
            dependencies: ["BookcatCore"],
            path: "Tests/BookcatInMemoryStore",
            swiftSettings: swiftSettings
        ),
        // One test target per module: `swift test --filter RedisClientTests` runs only the Redis client's tests.
        .testTarget(
            name: "BookcatCoreTests",
            dependencies: ["BookcatCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookcatSQLiteTests",
            dependencies: [
                "BookcatSQLite",
                "BookcatTestSupport",
                "BookcatCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookcatPostgresTests",
            dependencies: [
                "BookcatPostgres",
                "BookcatSQLite",
                "BookcatTestSupport",
                "BookcatCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "RedisClient",
                "BookcatTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookcatCacheTests",
            dependencies: [
                "BookcatCache",
                "BookcatCore",
                "RedisClient",
                "BookcatTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `bookcat` commands, run in process through ArgumentParser's `parseAsRoot`.
        .testTarget(
            name: "BookcatCLITests",
            dependencies: [
                "bookcat",
                "BookcatTestSupport",
                "BookcatCore",
                "BookcatSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookcatHTTPTests",
            dependencies: [
                "BookcatAccounts",
                "BookcatHTTP",
                "BookcatCore",
                "BookcatInMemoryStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "BookcatServerTests",
            dependencies: [
                "BookcatAccounts",
                "BookcatTestSupport",
                "BookcatInMemoryStore",
                "BookcatApp",
                "BookcatHTTP",
                "BookcatCore",
                "BookcatSQLite",
                "BookcatPostgres",
                "BookcatCache",
                "RedisClient",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // Read where they are (#filePath), not bundled: a database made by the Django service, for the import.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
