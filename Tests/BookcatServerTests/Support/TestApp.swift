import BookcatCore
import BookcatPostgres
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

/// A fresh application over its own store, driven through HummingbirdTesting.
struct TestApp: Sendable {
    static let secret = "test-secret-long-enough-for-every-hmac-algorithm-0123456789abcdef"
    static let adminPassword = "admin password 1"

    let client: any TestClientProtocol
    /// The store's ports, as the server sees them.
    let store: CatalogStore
    /// The SQLite database behind them, for tests of the SQLite adapter itself; nil on PostgreSQL.
    let database: AppDatabase?
    let configuration: AppConfiguration
    /// The store as an import's target: PostgreSQL, or a SQLite file (nil for a database in memory).
    let importTarget: (any CatalogImporting)?

    /// Which store the behaviour tests run on: SQLite, or PostgreSQL when `BOOKCAT_TEST_STORE=postgres` (how
    /// `scripts/test.sh` runs them a second time, so both stores pass the same tests).
    enum StoreKind: Sendable {
        case sqlite, postgres
        static var configured: StoreKind { ProcessInfo.processInfo.environment["BOOKCAT_TEST_STORE"] == "postgres" ? .postgres : .sqlite }
    }

    /// Runs `test` against a new application over a new, empty store: a database in memory, gone afterwards, or
    /// a fresh PostgreSQL database (see ``StoreKind``); or, given `databasePath`, over that SQLite file; or over
    /// `shared`, a store other running applications open too, as server processes share one.
    static func run<Value: Sendable>(
        _ setup: TestingSetup = .router,
        databasePath: String? = nil,
        sharing shared: SharedStore? = nil,
        store kind: StoreKind = .configured,
        configuration: AppConfiguration = TestApp.configuration(),
        cache: (any ResponseCache)? = nil,
        cacheOver: (@Sendable (any StoreVersionSource) -> any ResponseCache)? = nil,
        throttle: (any LoginThrottle)? = nil,
        clock: WallClock = .system,
        logger: Logger? = nil,
        importing: (@Sendable (any CatalogImporting) async throws -> Void)? = nil,
        _ test: @Sendable (TestApp) async throws -> Value
    ) async throws -> Value {
        // `cacheOver` builds the cache over this application's own store, as `bookcat serve` does: its coverage
        // checks and in-place changes read that store.
        let cache: @Sendable (any StoreVersionSource) -> (any ResponseCache)? = { store in cacheOver?(store) ?? cache }
        let logger =
            logger
            ?? {
                var logger = Logger(label: "bookcat-tests")
                logger.logLevel = .warning
                return logger
            }()
        var databasePath = databasePath
        var postgresLocation: PostgresLocation?
        switch shared {
        case .sqlite(let path)?: databasePath = path
        case .postgres(let location)?: postgresLocation = location
        case nil: if databasePath == nil, kind == .postgres { postgresLocation = try await PostgresCluster.shared.freshDatabase() }
        }
        if let location = postgresLocation {
            return try await PostgresDatabase(location: location, poolSize: 8, logger: logger).run { postgres in
                try await postgres.migrate()
                try await importing?(postgres)
                return try await run(
                    setup,
                    store: postgres.store(loginLimits: configuration.loginLimits, clock: clock),
                    database: nil,
                    importTarget: postgres,
                    configuration: configuration,
                    cache: cache,
                    throttle: throttle,
                    clock: clock,
                    logger: logger,
                    test
                )
            }
        }
        let database = try databasePath.map(AppDatabase.init(path:)) ?? AppDatabase.inMemory()
        if let importing {
            // An import opens its own connection to the file: an in-memory database has none to share.
            guard let databasePath else { throw TestFailure("an import into SQLite needs a databasePath") }
            try await importing(SQLiteCatalogImporter(path: databasePath))
        }
        return try await run(
            setup,
            store: database.store(loginLimits: configuration.loginLimits, clock: clock),
            database: database,
            importTarget: databasePath.map(SQLiteCatalogImporter.init(path:)),
            configuration: configuration,
            cache: cache,
            throttle: throttle,
            clock: clock,
            logger: logger,
            test
        )
    }

    private static func run<Value: Sendable>(
        _ setup: TestingSetup,
        store: CatalogStore,
        database: AppDatabase?,
        importTarget: (any CatalogImporting)?,
        configuration: AppConfiguration,
        cache: @Sendable (any StoreVersionSource) -> (any ResponseCache)?,
        throttle: (any LoginThrottle)?,
        clock: WallClock,
        logger: Logger,
        _ test: @Sendable (TestApp) async throws -> Value
    ) async throws -> Value {
        var store = store
        if let throttle { store.loginThrottle = throttle }
        let dependencies = AppDependencies(store: store, cache: cache(store.versions) ?? NoResponseCache(), clock: clock)
        let app = try await buildApplication(configuration: configuration.server, dependencies: dependencies, logger: logger)
        return try await app.test(setup) { [store] client in
            try await test(TestApp(client: client, store: store, database: database, configuration: configuration, importTarget: importTarget))
        }
    }

    /// Fast bcrypt, a fixed secret and a free port; tests change fields of it as needed.
    static func configuration() -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.server.bcryptCost = 4
        configuration.server.jwtSecret = secret
        configuration.server.port = 0
        // HummingbirdTesting's live client opens its one connection when the test starts and never reconnects. On a
        // loaded machine a test's setup once took over 30 s before its first request; the server rightly closed the
        // idle connection and the test failed with "I/O on closed channel". Tests of the idle timeout set their own.
        configuration.server.idleTimeout = 3_600
        // Tests sign up many accounts from one address; the signup limit has its own test.
        configuration.loginLimits.signupsPerClient = 10_000
        return configuration
    }

    // MARK: - Requests

    /// Sends a request; `json` is serialised as the body with `Content-Type: application/json`.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        token: String? = nil,
        json: Any? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    // MARK: - Accounts

    struct Session: Sendable {
        var userID: Int64
        var accessToken: String
        var refreshToken: String

        /// The session id (`sid`) the server put in the access token: read from its payload, unverified.
        var sessionID: String {
            get throws {
                var payload = String(accessToken.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+")
                    .replacingOccurrences(of: "_", with: "/")
                while payload.count % 4 != 0 { payload += "=" }
                guard let data = Data(base64Encoded: payload),
                    let claims = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let sid = claims["sid"] as? String
                else { throw TestFailure("the access token carries no sid") }
                return sid
            }
        }
    }

    /// Creates an account directly in the store and logs it in through the API.
    func session(email: String, password: String = "member password 1", role: Role = .user) async throws -> Session {
        let username = String(email.split(separator: "@")[0])
        let hash = try await Self.passwordHashes.hash(of: password, cost: configuration.server.bcryptCost)
        let user = try await store.users.create(NewUser(email: email, username: username, passwordHash: hash, role: role))
        let login = try await send(.post, "/api/v1/auth/login", json: ["email": email, "password": password])
        let body = try login.object()
        return Session(
            userID: user.id,
            accessToken: try body.string("access_token"),
            refreshToken: try body.string("refresh_token")
        )
    }

    /// Tests sign in with a handful of passwords; each is hashed once per process, not once per account.
    private static let passwordHashes = PasswordHashMemo()

    /// `PATCH /users/me` changing the password of the account `token` belongs to.
    func changePassword(token: String, from current: String, to new: String) async throws -> TestResponse {
        try await send(.patch, "/api/v1/users/me", token: token, json: ["password": new, "current_password": current])
    }

    func admin() async throws -> Session {
        try await session(email: "admin@example.org", password: Self.adminPassword, role: .admin)
    }

    func member(_ name: String = "member") async throws -> Session {
        try await session(email: "\(name)@example.org")
    }

    // MARK: - Catalog

    func createTag(_ name: String, token: String) async throws -> Int64 {
        let response = try await send(.post, "/api/v1/tags", token: token, json: ["name": name])
        guard response.status == .created else { throw TestFailure("creating tag \(name): \(response.status) \(response.text)") }
        return try response.object().int("tag_id")
    }

    /// Creates a book with sensible defaults; `overrides` replaces any field.
    func createBook(token: String, _ overrides: [String: Any] = [:]) async throws -> [String: Any] {
        var body: [String: Any] = [
            "title": "Book \(UUID().uuidString.prefix(8))",
            "author": "Some Author",
            "isbn": Self.nextISBN(),
            "published_at": "2001-02-03",
            "stock": 5,
            "tags": [Int](),
        ]
        body.merge(overrides) { _, new in new }
        let response = try await send(.post, "/api/v1/books", token: token, json: body)
        guard response.status == .created else { throw TestFailure("creating book: \(response.status) \(response.text)") }
        return try response.object()
    }

    private static let isbnCounter = Counter()

    static func nextISBN() -> String {
        let value = isbnCounter.next()
        let digits = String(value)
        return "978" + String(repeating: "0", count: 10 - digits.count) + digits
    }
}

/// A thread-safe counter for unique test values.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
    }

    func object() throws -> [String: Any] {
        guard let object = try json() as? [String: Any] else { throw TestFailure("expected a JSON object, got \(text)") }
        return object
    }

    func array() throws -> [[String: Any]] {
        guard let array = try json() as? [[String: Any]] else { throw TestFailure("expected a JSON array, got \(text)") }
        return array
    }

    /// The problem body, after checking it has the problem-details shape and media type.
    func problem() throws -> [String: Any] {
        guard headers[.contentType] == "application/problem+json" else {
            throw TestFailure("expected application/problem+json, got \(headers[.contentType] ?? "none"): \(text)")
        }
        let body = try object()
        guard body["type"] is String, body["title"] is String, body["detail"] is String, body["status"] as? Int == Int(status.code) else {
            throw TestFailure("not a problem body: \(text)")
        }
        return body
    }

    /// The fields named by the problem's validation errors.
    func problemFields() throws -> [String] {
        let errors = try problem()["errors"] as? [[String: Any]] ?? []
        return errors.compactMap { $0["field"] as? String }
    }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) throws -> String {
        guard let value = self[key] as? String else { throw TestFailure("\(key) is not a string in \(self)") }
        return value
    }

    func int(_ key: String) throws -> Int64 {
        guard let value = self[key] as? Int else { throw TestFailure("\(key) is not an integer in \(self)") }
        return Int64(value)
    }
}

/// bcrypt hashes of test passwords, computed once each. Any hash of a password verifies it, so sharing one across
/// accounts changes nothing a test observes, and saves a hash per account made.
private actor PasswordHashMemo {
    private var hashes: [String: String] = [:]

    func hash(of password: String, cost: Int) async throws -> String {
        let key = "\(cost):\(password)"
        if let known = hashes[key] { return known }
        let hash = try await PasswordHasher(cost: cost).hash(password)
        hashes[key] = hash
        return hash
    }
}
