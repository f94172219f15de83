import BookcatCore
import Synchronization

/// A response cache in memory that keeps the cache's one promise (after ``invalidateCatalog(after:)`` returns, no
/// body from before it is served) and records what it was asked, so route tests can see which requests
/// invalidated and which were served from it.
final class InMemoryResponseCache: ResponseCache {
    private struct State {
        var bodies: [String: CachedBody] = [:]
        var invalidations: [StoreVersions?] = []
        var vouchedSessionEpoch: Int64?
    }

    private let state = Mutex(State())

    /// The store versions each invalidation was given, in order.
    var invalidations: [StoreVersions?] { state.withLock { $0.invalidations } }

    /// The keys bodies are cached under.
    var keys: Set<String> { state.withLock { Set($0.bodies.keys) } }

    func body(for key: String, policy: CachePolicy, fill: @escaping @Sendable () async throws -> CachedBody) async throws -> CacheRead {
        if policy == .normal, let body = state.withLock({ $0.bodies[key] }) { return CacheRead(body: body, outcome: .hit, tier: .memory) }
        let body = try await fill()
        if policy != .bypass { state.withLock { $0.bodies[key] = body } }
        return CacheRead(body: body, outcome: policy == .normal ? .miss : .bypass)
    }

    func invalidateCatalog(after versions: StoreVersions?) async {
        state.withLock { state in
            state.bodies.removeAll()
            state.invalidations.append(versions)
        }
    }

    func reconcile(with versions: StoreVersions) async {}

    func health() async -> CacheHealth { .ok }

    /// The session epoch this cache vouches for, as a lease would: nil (the default) vouches for none.
    var vouchedSessionEpoch: Int64? {
        get { state.withLock { $0.vouchedSessionEpoch } }
        set { state.withLock { $0.vouchedSessionEpoch = newValue } }
    }

    func currentSessionEpoch() -> Int64? { vouchedSessionEpoch }
}
