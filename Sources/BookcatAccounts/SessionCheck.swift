import BookcatCore
import Foundation

/// Whether an access token's session is still live: asked of the store, and remembered so that a cached read need
/// not ask again on every request.
///
/// What is remembered is only as good as the store's session epoch it was read with (``LiveSession/epoch``). The
/// store bumps that epoch in the same transaction as every write that can end a session; the server publishes it to
/// the cache before it answers any write (``StoreChangePublisher``), which waits until every process that serves
/// from memory has learned it; and a cached read gets the published epoch with the entry (from Redis, or from what
/// the process's ``CacheLease`` keeps current). Only when the two are equal may the response go out on memory's word: any
/// difference, or a cache that says nothing (none configured, down, bypassed), means asking the store first.
/// So a logout, password change or deletion answered by any process stops the session on every process at once.
public final class SessionCheck: Sendable {
    /// The detail of the 401 a request gets once its session has ended.
    public static let endedDetail = "the session of this access token has ended (logged out, password changed or account deleted)"

    private let users: any UserRepository
    private let remembered = SelfEmptyingCache<LiveSession>()
    private let clock: WallClock

    public init(users: any UserRepository, clock: WallClock) {
        self.users = users
        self.clock = clock
    }

    /// The store's answer, remembered for later requests (and forgotten when the session has ended).
    public func fromStore(userID: Int64, session: String) async throws -> LiveSession? {
        let live = try await users.liveSession(userID: userID, session: session)
        remembered.remember(live, for: session)
        return live
    }

    /// What this process last learned of `session`, unless it has expired since.
    public func remembered(userID: Int64, session: String) -> LiveSession? {
        guard let live = remembered[session], live.user.id == userID, live.endsAt > clock.now() else { return nil }
        return live
    }

    /// What this process remembers of `session`, if it was read at the store's session epoch `current`: then no
    /// session has ended since, and this is as good as the store's word (see `ResponseCache.currentSessionEpoch()`).
    public func remembered(userID: Int64, session: String, atEpoch current: Int64?) -> LiveSession? {
        guard let current, let live = remembered(userID: userID, session: session), live.epoch == current else { return nil }
        return live
    }

    /// The account of `session` on the store's word, or a 401 when the session has ended.
    public func confirm(_ session: UnconfirmedSession) async throws -> User {
        guard let live = try await fromStore(userID: session.userID, session: session.id) else {
            throw CatalogError.unauthenticated(Self.endedDetail)
        }
        return live.user
    }
}

/// A session this process vouched for from memory, as live at the store's session `epoch`; not yet confirmed
/// during this request. Only routes that read through ``CachedReads`` accept one, and it confirms.
public struct UnconfirmedSession: Sendable, Equatable {
    public let userID: Int64
    public let id: String
    public let epoch: Int64

    public init(userID: Int64, id: String, epoch: Int64) {
        self.userID = userID
        self.id = id
        self.epoch = epoch
    }
}
