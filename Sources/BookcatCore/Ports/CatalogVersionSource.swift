/// The store's catalog version: a counter every write that can change a cached body increments, in the same
/// transaction as the write. It lets the cache tell, after any crash, whether an invalidation is still owed.
public protocol CatalogVersionSource: Sendable {
    func catalogVersion() async throws -> Int64
}

extension ResponseCache {
    /// Reconciles the cache with `store`'s current catalog version: the one step the server runs at start-up and on
    /// every healthy Redis check, and `bookcat seed`/`migrate` run after writing.
    public func reconcile(with store: any CatalogVersionSource) async throws {
        await reconcile(catalogVersion: try await store.catalogVersion())
    }
}
