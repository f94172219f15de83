import BookcatCore
import BookcatDigest
import Crypto

/// Names of everything the cache stores in Redis, and of its channels.
///
/// `schemaVersion` is part of every name: a deploy that changes what a body looks like bumps it, and the new
/// processes never read bodies the old ones wrote. The catalog (``CacheNamespace``) keeps catalogs that share one
/// Redis apart; the prefix (`REDIS_KEY_PREFIX`) lets an operator give the service a key pattern of its own.
///
/// Two families, for Redis Cluster: the *control* keys (the generation, the versions, the change counter, the reader
/// registry, the per-generation book lists) are `<prefix>:{v<schema>:<catalog>}:…`, whose hash tag puts them all in
/// one slot, so the scripts that move them together stay atomic; the *entries* are `<prefix>:v<schema>:<catalog>:
/// entry:…`, without a tag, so they spread over every shard. On one server the names are the same.
struct CacheKeys: Sendable, Equatable {
    /// 2: entries say which books they show, and are listed per book (in-place changes).
    static let schemaVersion = 2

    let prefix: String
    let catalog: String
    /// What entries and channels start with.
    let namespace: String
    /// What control keys start with: the same, as one hash tag.
    let control: String

    init(prefix: String = "bookcat", catalog: String) {
        self.prefix = prefix
        self.catalog = catalog
        namespace = "\(prefix):v\(Self.schemaVersion):\(catalog)"
        control = "\(prefix):{v\(Self.schemaVersion):\(catalog)}:"
    }

    /// The set of catalogs whose caches this Redis holds (``CacheNamespace/announce(_:through:)``).
    var catalogsRegistry: String { "\(prefix):catalogs" }
    /// The generation key of the layout before catalogs had namespaces: found, it means an older bookcat shares this Redis.
    var beforeNamespaces: String { "\(prefix):v\(Self.schemaVersion):generation" }

    var generation: String { control + "generation" }
    var catalogVersion: String { control + "catalog-version" }
    /// The store's session epoch, as last published: lets every process trust the sessions it remembers.
    var sessionEpoch: String { control + "session-epoch" }
    var entryPrefix: String { "\(namespace):entry:" }
    /// Counts in-place changes announced (``CacheScript/publish``); a fill refuses to store a body that shows a book
    /// changed after the count it read.
    var changeCounter: String { control + "change-counter" }
    /// The store's in-place change head (``BookcatCore/StoreVersions/bookChanges``) every change up to which is
    /// reflected here: where a process that has just started may begin.
    var storeBookChanges: String { control + "store-book-changes" }
    /// What the per-generation control keys start with: `changed:<generation>`, a hash of book → the change counter
    /// at which it last changed (and `~since`, the first count it holds), and, on one server, `shows:<generation>:
    /// <book>` (or `:*` for bodies that may show any book), the set of hashed keys whose entries show it.
    var generationScopedPrefix: String { control }
    /// The processes that serve from memory without asking Redis, each until its lease expires (``CacheLease``).
    var readers: String { control + "readers" }
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
