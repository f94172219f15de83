import BookcatAccounts
import BookcatCore
import BookcatDigest
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import ServiceLifecycle

/// The dependencies a running service is made of; tests build their own (an in-memory or temporary store, a
/// private Redis).
public struct AppDependencies: Sendable {
    public var store: CatalogStore
    public var cache: any ResponseCache
    /// The one factory every metric goes through, and the registry `GET /metrics` renders.
    public var metrics: ServiceMetrics
    /// Background work that runs as long as the server does, started and stopped with it.
    public var services: [any Service]
    /// Calendar time for tokens, the refresh grace window and loans; tests move it instead of sleeping.
    public var clock: WallClock
    /// Runs once before the server accepts connections, with the services running: PostgreSQL's migrations.
    public var prepare: @Sendable () async throws -> Void

    public init(
        store: CatalogStore,
        cache: any ResponseCache = NoResponseCache(),
        metrics: ServiceMetrics = ServiceMetrics(),
        services: [any Service] = [],
        clock: WallClock = .system,
        prepare: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.store = store
        self.cache = cache
        self.metrics = metrics
        self.services = services
        self.clock = clock
        self.prepare = prepare
    }
}

/// Builds the HTTP application: the same function serves `bookcat serve` and the tests.
public func buildApplication(
    configuration: ServerConfiguration,
    dependencies: AppDependencies,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let (router, routes) = try await buildRoutes(configuration: configuration, dependencies: dependencies, logger: logger)
    let limits = RequestDeadlineHandler.Limits(
        head: .seconds(Int64(configuration.headerTimeout)),
        body: .seconds(Int64(configuration.bodyTimeout)),
        response: .seconds(Int64(configuration.responseTimeout))
    )
    let share =
        configuration.trustForwardedFor
        ? nil
        : AddressShare(
            limit: configuration.maxConnectionsPerAddress,
            total: configuration.maxConnections,
            logger: logger
        )
    var app = Application(
        responder: HeadAsGetResponder(inner: router.buildResponder(), routes: routes),
        server: .http1(
            configuration: .init(
                // Made anew for every connection.
                additionalChannelHandlers: (share.map { [$0.handler()] } ?? [])
                    + [RequestDeadlineHandler(limits: limits, logger: logger)],
                idleTimeout: .seconds(Int64(configuration.idleTimeout))
            )
        ),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "bookcat",
            availableConnectionsDelegate: ConnectionCap(limit: configuration.maxConnections, logger: logger)
        ),
        services: dependencies.services,
        logger: logger
    )
    // Before anything is served: an invalidation a crashed process owed is paid now, or by the first cached read.
    app.beforeServerStarts { [dependencies] in
        try await dependencies.prepare()
        try await dependencies.cache.reconcile(with: dependencies.store.versions)
    }
    return app
}

/// The router with every route and middleware, separate from the server so tests can drive it in-process.
public func buildRouter(
    configuration: ServerConfiguration,
    dependencies: AppDependencies,
    logger: Logger
) async throws -> Router<AppRequestContext> {
    try await buildRoutes(configuration: configuration, dependencies: dependencies, logger: logger).router
}

/// The router, and every route it serves (tests go through them to reach every route).
func buildRoutes(
    configuration: ServerConfiguration,
    dependencies: AppDependencies,
    logger: Logger
) async throws -> (router: Router<AppRequestContext>, routes: KnownRoutes) {
    let secret: String
    if let configured = configuration.jwtSecret {
        secret = configured
    } else {
        secret = (0..<64).map { _ in UInt8.random(in: 0...255) }.hexString
        logger.warning(
            "JWT_SECRET_KEY is not set: signing tokens with an ephemeral key. Every token dies with this process. Set JWT_SECRET_KEY (32+ bytes)."
        )
    }
    let tokens = await TokenService(
        secret: secret,
        algorithm: configuration.jwtAlgorithm,
        accessTTL: configuration.accessTokenTTL,
        refreshTTL: configuration.refreshTokenTTL,
        clock: dependencies.clock
    )
    let hasher = PasswordHasher(
        cost: configuration.bcryptCost,
        work: PasswordWork(
            limits: .init(
                concurrent: configuration.passwordChecksConcurrent,
                queueLength: configuration.passwordQueueLength,
                queueWait: .milliseconds(configuration.passwordQueueWaitMilliseconds)
            ),
            metrics: dependencies.metrics.factory
        )
    )
    let metricsFactory = dependencies.metrics.factory
    let store = dependencies.store
    let accounts = AccountService(
        users: store.users,
        refreshTokens: store.refreshTokens,
        hasher: hasher,
        tokens: tokens,
        throttle: store.loginThrottle,
        refreshReuseGrace: TimeInterval(configuration.refreshReuseGrace),
        decoyHash: try await hasher.decoyHash(),
        clock: dependencies.clock,
        refusals: ThrottleRefusals(factory: metricsFactory)
    )
    let sessions = SessionCheck(users: store.users, clock: dependencies.clock)
    let reads = CachedReads(
        cache: dependencies.cache,
        bypass: CacheBypassGate(who: configuration.cacheBypass, perAccount: configuration.cacheBypassPerAccount),
        sessions: sessions,
        renders: RenderBudget(
            limits: .init(
                perAccountPerMinute: configuration.rendersPerMinute,
                burst: configuration.rendersBurst,
                concurrent: configuration.rendersConcurrent
            )
        )
    )
    let routes = KnownRoutes()
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestLogMiddleware()
        RequestMetricsMiddleware(factory: metricsFactory)
        SecurityHeadersMiddleware()
        ProblemMiddleware(authScheme: configuration.authScheme, routes: routes)
        OneHostMiddleware()
        // Innermost: it publishes before the problem middleware or anything else turns the outcome into an answer.
        StoreChangePublisher(store: store.versions, cache: dependencies.cache)
    }
    let root = router.group()
    if configuration.metricsToken == nil, configuration.mode == .production {
        logger.notice("METRICS_TOKEN is not set: /metrics answers 403 in production until it is")
    }
    OperationsController(
        database: store.health,
        cache: dependencies.cache,
        registry: dependencies.metrics.registry,
        processMemory: dependencies.metrics.processMemory,
        metrics: configuration.metricsToken.map(OperationsController.MetricsAccess.token)
            ?? (configuration.mode == .production ? .closed : .open)
    )
    .addRoutes(to: root)
    try DocsController().addRoutes(to: root)

    let api = router.group("api/v1")
    AuthController(accounts: accounts, trustForwardedFor: configuration.trustForwardedFor).addRoutes(to: api)
    let authenticator = Authenticator(tokens: tokens, sessions: sessions, cache: dependencies.cache, scheme: configuration.authScheme)
    let authenticated = router.group("api/v1").add(middleware: authenticator).group(context: AuthenticatedContext.self)
    // Only for handlers that answer through `reads`, which confirms a remembered session before it answers.
    var cachedReadAuthenticator = authenticator
    cachedReadAuthenticator.acceptsRememberedSessions = true
    let cachedReads = router.group("api/v1").add(middleware: cachedReadAuthenticator).group(context: AuthenticatedContext.self)
    UserController(accounts: accounts, trustForwardedFor: configuration.trustForwardedFor).addRoutes(to: authenticated)
    BookController(books: store.books, reads: reads, links: configuration.publicLinks).addRoutes(to: authenticated, cachedReads: cachedReads)
    TagController(tags: store.tags, reads: reads).addRoutes(to: authenticated, cachedReads: cachedReads)
    LoanController(loans: store.loans, clock: dependencies.clock, maxQuantity: configuration.loanMaxQuantity).addRoutes(to: authenticated)
    routes.load(from: router)
    return (router, routes)
}
