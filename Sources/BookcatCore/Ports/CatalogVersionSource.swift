/// The store's catalog version: a counter every write that can change a cached body increments, in the same
/// transaction as the write. It lets the cache tell, after any crash, whether an invalidation is still owed.
public protocol CatalogVersionSource: Sendable {
    func catalogVersion() async throws -> Int64
}
