import BookcatCore
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The one place the cache learns of writes: after every request that may have written (any method but GET, HEAD
/// and OPTIONS), whatever it answered or threw, and before that answer goes out, it reads the store's versions and
/// publishes them to the cache.
///
/// No handler has to remember to invalidate, and a route added tomorrow cannot forget. The store bumps its
/// versions in the write's own transaction (triggers), so this sees every committed write, including one whose
/// request failed afterwards. Requests finishing together share one read and one publish (``SharedRounds``): each
/// waits for one that began after it finished, which sees its write.
struct StoreChangePublisher<Context: RequestContext>: RouterMiddleware {
    let store: any StoreVersionSource
    let cache: any ResponseCache
    /// The versions this process read last. A catalog version that moved since is a write (this request's or a
    /// concurrent one's, whose own publishing may still be on its way): the cache is invalidated outright. One that
    /// did not move is reconciled (invalidated only if the cache is behind), so a login or a refused edit does
    /// not empty the cache. Compared with `!=`, not `>`, so a database restored to an older version still invalidates.
    private let lastSeen = NIOLockedValueBox<StoreVersions?>(nil)
    private let rounds = SharedRounds()

    init(store: any StoreVersionSource, cache: any ResponseCache) {
        self.store = store
        self.cache = cache
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.mayWrite(request.method) else { return try await next(request, context) }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            await publish()
            throw error
        }
        await publish()
        return response
    }

    static func mayWrite(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    private func publish() async {
        await rounds.join { [self] in await publishNow() }
    }

    private func publishNow() async {
        guard let versions = try? await store.versionsCoveringOwnWrites() else {
            // Unreadable right after a write: invalidate everything, sessions included, rather than guess.
            await cache.invalidateCatalog(after: nil)
            return
        }
        let previous = lastSeen.withLockedValue { seen in
            defer { seen = versions }
            return seen
        }
        if previous?.catalog != versions.catalog {
            await cache.invalidateCatalog(after: versions)
        } else {
            await cache.reconcile(with: versions)
        }
    }
}
