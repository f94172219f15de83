import BookcatCore
import Foundation
import Synchronization

/// The store's ports kept in memory, one lock around all of it: every method is one atomic step, as each is one
/// transaction in the SQL stores. What the HTTP module's own tests run on, so they need no database, no adapter and
/// no server process; the SQL adapters are held to the same promises by their own suites.
final class InMemoryCatalog: Sendable {
    struct State {
        var users: [Int64: User] = [:]
        var tokens: [String: RefreshTokenRecord] = [:]
        var tags: [Int64: Tag] = [:]
        var books: [Int64: Book] = [:]
        var loans: [Int64: Loan] = [:]
        var versions = StoreVersions(catalog: 0, sessions: 0)
        var lastID: Int64 = 0
        /// How many times a session was looked up (`UserRepository.liveSession`).
        var sessionLookups = 0

        mutating func nextID() -> Int64 {
            lastID += 1
            return lastID
        }
    }

    let state = Mutex(State())
    let clock: WallClock
    let limits: LoginLimits

    init(clock: WallClock = .system, limits: LoginLimits = LoginLimits()) {
        self.clock = clock
        self.limits = limits
    }

    /// The ports the server is given, all on this one catalog.
    func store() -> CatalogStore {
        CatalogStore(
            users: InMemoryUsers(catalog: self),
            refreshTokens: InMemoryRefreshTokens(catalog: self),
            tags: InMemoryTags(catalog: self),
            books: InMemoryBooks(catalog: self),
            loans: InMemoryLoans(catalog: self),
            loginThrottle: InMemoryLoginThrottle(clock: clock, limits: limits),
            versions: InMemoryVersions(catalog: self),
            health: InMemoryVersions(catalog: self)
        )
    }

    /// The store's versions as the cache reads them.
    var versions: StoreVersions { state.withLock { $0.versions } }
}

/// The counters writes move, and a store that is always up.
struct InMemoryVersions: StoreVersionSource, DatabaseHealth {
    let catalog: InMemoryCatalog

    func storeVersions() async throws -> StoreVersions { catalog.versions }

    func catalogIdentity() async throws -> String { "in-memory" }

    func ping() async throws {}
}
