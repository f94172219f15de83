import BookcatCore

/// The versions of a store nothing writes: the benchmarks of the cache alone write nothing, so every coverage check
/// finds Redis already covering them.
struct UnwrittenStore: StoreVersionSource {
    func storeVersions() async throws -> StoreVersions { StoreVersions(catalog: 0, sessions: 0) }
}
