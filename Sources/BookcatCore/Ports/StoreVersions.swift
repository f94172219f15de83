/// Counters the store increments in the same transaction as the writes they stand for, read together.
///
/// They let the cache tell, after any crash, whether an invalidation is still owed, and let a process that keeps
/// sessions in memory tell whether one may have ended since it looked.
public struct StoreVersions: Sendable, Equatable {
    /// Incremented by every write that can change which books a cached body shows, or in what order: anything but
    /// an in-place change (below).
    public var catalog: Int64
    /// Incremented by every write that can end a session or change an account: logout, refresh-token rotation or
    /// revocation, password or role change, account deletion.
    public var sessions: Int64
    /// The head of the store's log of in-place changes: updates of a book that leave everything a filter or an
    /// order reads alone (its stock, ISBN, publisher). Each is one entry naming the book, so the cache can make
    /// unreachable only the bodies that show it (``StoreVersionSource/changedBooks(after:through:)``).
    public var bookChanges: Int64

    public init(catalog: Int64, sessions: Int64, bookChanges: Int64 = 0) {
        self.catalog = catalog
        self.sessions = sessions
        self.bookChanges = bookChanges
    }
}

/// Where ``StoreVersions`` come from: the store.
public protocol StoreVersionSource: Sendable {
    func storeVersions() async throws -> StoreVersions
    /// Which catalog the store holds: made once when the store is created (its migrations), the same for every
    /// process on it, and new for a store that a copy or an import filled. The cache keeps each catalog's keys apart
    /// by it, so two catalogs sharing one Redis never see each other's pages.
    func catalogIdentity() async throws -> String
    /// Versions at least as new as every write this process has committed: what the cache must learn before one of
    /// them is answered. A store that keeps them from its own commits answers without reading; by default, it reads.
    func versionsCoveringOwnWrites() async throws -> StoreVersions
    /// The books the in-place changes after `after` up to `through` (``StoreVersions/bookChanges``) touched, or nil
    /// when the store no longer holds every one of those entries (it keeps the newest few thousand): the caller then
    /// treats them as a change to everything.
    func changedBooks(after: Int64, through: Int64) async throws -> [Int64]?
}

extension StoreVersionSource {
    public func changedBooks(after: Int64, through: Int64) async throws -> [Int64]? { nil }

    public func versionsCoveringOwnWrites() async throws -> StoreVersions {
        try await storeVersions()
    }
}

extension ResponseCache {
    /// Reconciles the cache with `store`'s current versions: what the server runs at start-up, and `bookcat
    /// seed`/`migrate` after writing.
    public func reconcile(with store: any StoreVersionSource) async throws {
        await reconcile(with: try await store.storeVersions())
    }
}

/// The store has no catalog identity: it was not migrated, or the row was removed by hand.
public struct CatalogIdentityMissing: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the store holds no catalog identity (run bookcat migrate)" }
}
