/// One store, seen through its ports: what the server is given instead of a database.
///
/// A store adapter builds it (``BookcatSQLite``'s `AppDatabase.store(loginLimits:)` today); nothing above the adapter
/// knows which database answers. Every repository in one value shares one store, so they see each other's writes.
public struct CatalogStore: Sendable {
    public var users: any UserRepository
    public var refreshTokens: any RefreshTokenRepository
    public var tags: any TagRepository
    public var books: any BookRepository
    public var loans: any LoanRepository
    /// Kept in the store (not the cache) so that no eviction or restart of the cache unlocks an account.
    public var loginThrottle: any LoginThrottle
    /// The counters every write moves in its own transaction: how the cache learns of writes.
    public var versions: any StoreVersionSource
    public var health: any DatabaseHealth

    public init(
        users: any UserRepository,
        refreshTokens: any RefreshTokenRepository,
        tags: any TagRepository,
        books: any BookRepository,
        loans: any LoanRepository,
        loginThrottle: any LoginThrottle,
        versions: any StoreVersionSource,
        health: any DatabaseHealth
    ) {
        self.users = users
        self.refreshTokens = refreshTokens
        self.tags = tags
        self.books = books
        self.loans = loans
        self.loginThrottle = loginThrottle
        self.versions = versions
        self.health = health
    }
}
