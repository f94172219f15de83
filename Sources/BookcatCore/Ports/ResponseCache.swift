/// A finished response body, ready to send without touching the database or encoding anything.
public struct CachedBody: Sendable, Equatable {
    public var bytes: [UInt8]
    /// A strong validator for `ETag` / `If-None-Match`.
    public var etag: String
    /// The HTTP status the body goes out with: 200, or 404 for a page the count already proves does not exist
    /// (a problem body), cached like any other so asking for it again costs nothing.
    public var status: Int
    /// The books whose own fields the body shows: an in-place change of one of them (``StoreVersions/bookChanges``)
    /// makes it unreachable, and an in-place change of any other leaves it. Nil, the default, when the body may
    /// show any book's fields: every in-place change makes it unreachable.
    public var books: [Int64]?

    public init(bytes: [UInt8], etag: String, status: Int = 200, books: [Int64]? = nil) {
        self.bytes = bytes
        self.etag = etag
        self.status = status
        self.books = books
    }
}

/// Where a response body came from, reported to clients in `X-Cache`.
public enum CacheOutcome: String, Sendable {
    case hit = "HIT"
    case miss = "MISS"
    /// The cache was skipped on purpose (disabled, or the client asked with `Cache-Control`).
    case bypass = "BYPASS"
    /// The cache failed and the body came straight from the database.
    case error = "ERROR"
}

/// Which tier of the cache served a hit, reported to clients in `X-Cache-Tier`.
public enum CacheTier: String, Sendable {
    /// The process's own memory, after the shared cache confirmed the body is current.
    case memory
    /// The shared cache (Redis).
    case redis
}

/// What a cache read produced.
public struct CacheRead: Sendable {
    public var body: CachedBody
    public var outcome: CacheOutcome
    /// The tier that served a hit; nil for every other outcome.
    public var tier: CacheTier?
    /// The session epoch the cache held during this read, nil when it did not say (no cache, a bypass, an error, or
    /// an epoch not published yet).
    public var sessionEpoch: Int64?

    public init(body: CachedBody, outcome: CacheOutcome, tier: CacheTier? = nil, sessionEpoch: Int64? = nil) {
        self.body = body
        self.outcome = outcome
        self.tier = tier
        self.sessionEpoch = sessionEpoch
    }
}

/// How a request wants the cache used, from its `Cache-Control` header.
public enum CachePolicy: Sendable {
    /// Read the cache, fill it on a miss.
    case normal
    /// `no-cache`: do not read, but store the fresh body.
    case refresh
    /// `no-store`: neither read nor store.
    case bypass
}

/// The seam between read endpoints and a response cache.
///
/// Read endpoints hand the cache a key built from the canonical request and a `fill` that renders the body
/// from the database; after every request that may have written, the server calls ``invalidateCatalog(after:)`` or
/// ``reconcile(with:)`` before it answers, so no client that saw a write's response can afterwards read a body
/// from before it.
///
/// The cache also carries the store's session epoch between processes (see ``StoreVersions/sessions``): every read
/// reports the epoch the cache holds, so a process can trust what it remembers of a session without asking the store.
public protocol ResponseCache: Sendable {
    func body(
        for key: String,
        policy: CachePolicy,
        fill: @escaping @Sendable () async throws -> CachedBody
    ) async throws -> CacheRead

    /// Makes every cached catalog body unreachable, after a write that brought the store to `versions` (nil when
    /// they could not be read: then every process's remembered sessions are made to re-check too).
    /// Never throws: a cache that cannot be reached must remember to invalidate before it serves anything again.
    func invalidateCatalog(after versions: StoreVersions?) async

    /// Makes sure nothing cached predates `versions.catalog`, the store's current version: invalidates unless the
    /// cache already saw an invalidation for that version; and publishes `versions.sessions` unless the cache holds a
    /// later one. The in-place changes up to `versions.bookChanges` it has not seen yet make unreachable the bodies
    /// that show their books, and only those. The server calls this before it serves anything, and after every write
    /// that left the catalog version alone, so an invalidation a crashed process owed is paid by the next one. Never
    /// throws, like ``invalidateCatalog(after:)``.
    func reconcile(with versions: StoreVersions) async

    /// Whether the cache answers, for the health check.
    func health() async -> CacheHealth

    /// The store's session epoch as this process knows it to be current without asking anyone, or nil when it
    /// cannot vouch for one (no cache, Redis unreachable, a lease run out). A session remembered at this epoch has
    /// ended nowhere since: every write that ends one is answered only after every process that vouches has learned
    /// its epoch (see `CacheLease`). So a request may act on it without asking the store.
    func currentSessionEpoch() -> Int64?
}

extension ResponseCache {
    public func currentSessionEpoch() -> Int64? { nil }
}

/// What the health check reports about the cache.
public enum CacheHealth: Sendable, Equatable {
    case ok
    /// The cache is configured but does not answer; `reason` names the cause for operators.
    case unavailable(reason: String)
    /// No cache is configured.
    case disabled

    /// The word the health check reports: `ok`, `unavailable` or `disabled`.
    public var state: String {
        switch self {
        case .ok: "ok"
        case .unavailable: "unavailable"
        case .disabled: "disabled"
        }
    }
}

/// The cache used when none is configured: every read renders from the database.
public struct NoResponseCache: ResponseCache {
    public init() {}

    public func body(
        for key: String,
        policy: CachePolicy,
        fill: @escaping @Sendable () async throws -> CachedBody
    ) async throws -> CacheRead {
        CacheRead(body: try await fill(), outcome: .bypass)
    }

    public func invalidateCatalog(after versions: StoreVersions?) async {}

    public func reconcile(with versions: StoreVersions) async {}

    public func health() async -> CacheHealth { .disabled }
}
