import Benchmark
import BookcatAccounts
import BookcatCache
import BookcatCore
import BookcatHTTP
import BookcatSQLite
import BookcatTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import RedisClient
import Synchronization

/// The pieces of a cached listing, measured in isolation with allocation counts, so a regression shows as a number;
/// and a created book through the router, the write path's own floor.
/// `scripts/bench.sh` measures the whole under load; this says which piece moved. Needs `redis-server` on PATH (or
/// `REDIS_SERVER`). Run from Benchmarks/: `swift package benchmark --target HitPath` (Benchmarks/Package.swift).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )
    Benchmark.setup = {
        // The same private redis-server the tests start (BookcatTestSupport), once for every benchmark.
        let server = RedisServer.at(port: try LoopbackPort.free())
        try await server.start()
        benchmarkRedis.withLock { $0 = server }
    }
    Benchmark.teardown = { benchmarkRedis.withLock { $0?.stop() } }
    // Setting up a run (a client, a seeded catalog) costs far more than one hit: each run measures a thousand.
    let perThousand = Benchmark.Configuration(
        metrics: Benchmark.defaultConfiguration.metrics,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 20
    )

    Benchmark("1. Canonical key of a filtered listing query") { benchmark in
        let parameters = [
            ("title", "River"), ("tag", "7"), ("tag", "3"), ("tag_option", "and"), ("order_by", "-published_at"), ("page_size", "50"),
        ]
        for _ in benchmark.scaledIterations {
            blackHole(try BookListQuery.parse(parameters).canonicalQuery)
        }
    }

    for (number, tier, memoryBytes, leased) in [
        (2, "from Redis (one pipelined round trip)", 0, false), (3, "from memory, no lease (the generation read from Redis)", 32 << 20, false),
        (4, "from memory on the lease (no round trip)", 32 << 20, true),
    ] {
        Benchmark("\(number). Cache hit: a 20 KB entry \(tier)", configuration: perThousand) { benchmark in
            do {
                let configuration = try runningRedis()
                let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
                let cache = RedisResponseCache(
                    client: client,
                    store: UnwrittenStore(),
                    ttlSeconds: 600,
                    memoryBytes: memoryBytes,
                    metrics: NOOPMetricsHandler.instance,
                    logger: Logger(label: "bench")
                )
                let holder = leased ? Task { await cache.keepCurrent() } : nil
                if leased { try await cache.lease.untilTrusted() }
                // A page of a hundred books, as a listing at the largest page size lists them.
                let body = CachedBody(
                    bytes: Array(repeating: UInt8(ascii: "x"), count: 20_000),
                    etag: "\"0123456789abcdef\"",
                    books: (1...100).map(Int64.init)
                )
                _ = try await cache.body(for: "books:list:page_size=100", policy: .normal) { body }
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try await cache.body(for: "books:list:page_size=100", policy: .normal) { body })
                }
                benchmark.stopMeasurement()
                holder?.cancel()
                await holder?.value
                await client.shutdown()
            }
        }
    }

    Benchmark("5. Cached listing through the router on the lease: authentication, cache hit, response (no sockets)", configuration: perThousand) {
        benchmark in
        // The test client's closure is @Sendable; the benchmark is only used from it, one call at a time.
        nonisolated(unsafe) let benchmark = benchmark
        try await routerOnTheLease(role: .user, prepare: { _ = try await CatalogSeeder(database: $0).seed(books: 500, tags: 50, seed: 1) }) {
            http,
            token in
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let warm = try await http.execute(uri: "/api/v1/books?page_size=100", method: .get, headers: headers)
            guard warm.status == .ok else { throw BenchmarkFailure("the listing answered \(warm.status)") }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await http.execute(uri: "/api/v1/books?page_size=100", method: .get, headers: headers))
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark(
        "6. Created book through the router on the lease: authentication from memory, group commit (synced), publish (no sockets)",
        configuration: perThousand
    ) { benchmark in
        nonisolated(unsafe) let benchmark = benchmark
        try await routerOnTheLease(role: .admin) { http, token in
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            var created = 0
            func create() async throws {
                created += 1
                let isbn = 9_780_000_000_000 + created
                let body =
                    #"{"title": "Bench \#(created)", "author": "Load Tester", "isbn": "\#(isbn)", "published_at": "2020-01-01", "stock": 5}"#
                let response = try await http.execute(uri: "/api/v1/books", method: .post, headers: headers, body: ByteBuffer(string: body))
                guard response.status == .created else { throw BenchmarkFailure("a create answered \(response.status)") }
            }
            // The first write remembers the session from the store; the rest go on memory's word.
            try await create()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try await create()
            }
            benchmark.stopMeasurement()
        }
    }
}

/// The router over a fresh database file (`prepare` fills it) and the benchmark's Redis, as `bookcat serve` runs it:
/// holding the cache lease, logging at warning. One account of `role` is logged in; `body` gets the in-process
/// client and its access token.
private func routerOnTheLease(
    role: Role,
    prepare: (AppDatabase) async throws -> Void = { _ in },
    _ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void
) async throws {
    let redis = try runningRedis()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bookcat-hitpath-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = try AppDatabase(path: folder.appendingPathComponent("catalog.sqlite3").path)
    try await prepare(database)
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let client = RedisClient(configuration: redis, metrics: NOOPMetricsHandler.instance)
    var configuration = ServerConfiguration()
    configuration.bcryptCost = 4
    configuration.jwtSecret = "hit-path-benchmark-secret-0123456789abcdef"
    let cache = RedisResponseCache(
        client: client,
        store: database,
        ttlSeconds: 600,
        memoryBytes: 32 << 20,
        metrics: NOOPMetricsHandler.instance,
        logger: logger
    )
    let holder = Task { await cache.keepCurrent() }
    try await cache.lease.untilTrusted()
    let store = database.store()
    _ = try await createAccount(
        bcryptCost: configuration.bcryptCost,
        users: store.users,
        email: "bench@example.org",
        username: "bench",
        password: "bench password 1",
        role: role
    )
    let dependencies = AppDependencies(store: store, cache: cache)
    // Its own logger: Hummingbird's default logs every write at info, to standard output.
    let app = Application(router: try await buildRouter(configuration: configuration, dependencies: dependencies, logger: logger), logger: logger)
    try await app.test(.router) { http in
        let login = try await http.execute(
            uri: "/api/v1/auth/login",
            method: .post,
            headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"email": "bench@example.org", "password": "bench password 1"}"#)
        )
        guard login.status == .ok else { throw BenchmarkFailure("login answered \(login.status): \(String(buffer: login.body))") }
        try await body(http, try JSONDecoder().decode(Tokens.self, from: Data(login.body.readableBytesView)).accessToken)
    }
    holder.cancel()
    await holder.value
    await client.shutdown()
}

/// The redis-server `Benchmark.setup` started, stopped by `Benchmark.teardown`.
private let benchmarkRedis = Mutex<RedisServer?>(nil)

private func runningRedis() throws -> RedisConfiguration {
    guard let server = benchmarkRedis.withLock({ $0 }) else { throw BenchmarkFailure("redis-server was not started") }
    return RedisConfiguration(host: "127.0.0.1", port: server.port)
}

private struct Tokens: Decodable {
    var accessToken: String
    enum CodingKeys: String, CodingKey { case accessToken = "access_token" }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
