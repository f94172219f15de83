import BookcatCore
import BookcatDigest
import Crypto

/// Names of everything the cache stores in Redis, and of its channels: `<prefix>:v<schema>:<catalog>:…`.
///
/// `schemaVersion` is part of every name: a deploy that changes what a body looks like bumps it, and the new
/// processes never read bodies the old ones wrote. The catalog (``CacheNamespace``) keeps catalogs that share one
/// Redis apart; the prefix (`REDIS_KEY_PREFIX`) lets an operator give the service a key pattern of its own.
struct CacheKeys: Sendable, Equatable {
    /// 2: entries say which books they show, and are listed per book (in-place changes).
    static let schemaVersion = 2

    let prefix: String
    let catalog: String
    let namespace: String

    init(prefix: String = "bookcat", catalog: String) {
        self.prefix = prefix
        self.catalog = catalog
        namespace = "\(prefix):v\(Self.schemaVersion):\(catalog)"
    }

    /// The set of catalogs whose caches this Redis holds (``CacheNamespace/announce(_:through:)``).
    var catalogsRegistry: String { "\(prefix):catalogs" }
    /// The generation key of the layout before catalogs had namespaces: found, it means an older bookcat shares this Redis.
    var beforeNamespaces: String { "\(prefix):v\(Self.schemaVersion):generation" }

    var generation: String { "\(namespace):generation" }
    var catalogVersion: String { "\(namespace):catalog-version" }
    /// The store's session epoch, as last published: lets every process trust the sessions it remembers.
    var sessionEpoch: String { "\(namespace):session-epoch" }
    var entryPrefix: String { "\(namespace):entry:" }
    /// Counts in-place changes announced (``CacheScript/publish``); a fill refuses to store a body that shows a book
    /// changed after the count it read.
    var changeCounter: String { "\(namespace):change-counter" }
    /// The store's in-place change head (``BookcatCore/StoreVersions/bookChanges``) every change up to which is
    /// reflected here: where a process that has just started may begin.
    var storeBookChanges: String { "\(namespace):store-book-changes" }
    /// What the per-generation keys start with: `changed:<generation>`, a hash of book → the change counter at
    /// which it last changed, and `shows:<generation>:<book>` (or `:*` for bodies that may show any book), the
    /// set of hashed keys whose entries show it.
    var generationScopedPrefix: String { "\(namespace):" }
    /// The processes that serve from memory without asking Redis, each until its lease expires (``CacheLease``).
    var readers: String { "\(namespace):readers" }
    /// Where a write announces a new generation or session epoch, and where readers confirm they have learned it.
    var changesChannel: String { "\(namespace):changes" }
    var acksChannel: String { "\(namespace):acks" }

    /// A bounded-length stand-in for a request key of any length.
    static func hashed(_ requestKey: String) -> String {
        SHA256.hex(of: Array(requestKey.utf8), keepingBytes: 20)
    }

    func entry(generation: String, hashedKey: String) -> String {
        entryPrefix + generation + ":" + hashedKey
    }

    func changedBooks(generation: String) -> String {
        generationScopedPrefix + "changed:" + generation
    }

    func showing(generation: String) -> String {
        generationScopedPrefix + "shows:" + generation + ":"
    }
}
