import BookcatCore
import Logging
import NIOConcurrencyHelpers
import RedisClient

/// The catalog a cache's keys and channels belong to, learned from the store once (``StoreVersionSource/catalogIdentity()``).
///
/// Every key and channel carries it (``CacheKeys``), so two catalogs that share one Redis (staging and production,
/// or two services on one cluster, where only database 0 exists) never read each other's pages, sessions or
/// versions, nor act on each other's announcements. Until the store has answered once, the cache is not used:
/// reads go to the store and writes owe their invalidation, as when Redis is unreachable.
final class CacheNamespace: Sendable {
    private let prefix: String
    private let store: any StoreVersionSource
    private let logger: Logger
    private let resolved = NIOLockedValueBox<CacheKeys?>(nil)

    init(prefix: String, store: any StoreVersionSource, logger: Logger) {
        self.prefix = prefix
        self.store = store
        self.logger = logger
    }

    /// The keys, once the store has named its catalog.
    var known: CacheKeys? { resolved.withLockedValue { $0 } }

    /// The keys, asking the store for its catalog the first time. Concurrent first callers may each ask; they get
    /// the same answer.
    func keys() async throws -> CacheKeys {
        if let known { return known }
        let keys = CacheKeys(prefix: prefix, catalog: try await store.catalogIdentity())
        let first = resolved.withLockedValue { resolved in
            defer { resolved = resolved ?? keys }
            return resolved == nil
        }
        if first { logger.info("cache: catalog \(keys.catalog), keys under \(keys.namespace):") }
        return keys
    }

    /// Says so in the log when this Redis holds the cache of other catalogs, or of a bookcat from before catalogs had
    /// namespaces, and records this one among them: never read, but an operator may want to know who shares the
    /// cache (and how much memory the others hold).
    func announce(_ keys: CacheKeys, through client: RedisClient) async {
        do {
            let replies = try await client.send(pipeline: [
                ["SMEMBERS", RedisArgument(keys.catalogsRegistry)], ["EXISTS", RedisArgument(keys.beforeNamespaces)],
                ["SADD", RedisArgument(keys.catalogsRegistry), RedisArgument(keys.catalog)],
                // Catalogs that stopped using this Redis leave the set within a week of the last start of any.
                ["EXPIRE", RedisArgument(keys.catalogsRegistry), RedisArgument(7 * 86_400)],
            ])
            if case .array(let members) = try replies[0].checked() {
                let others = members.compactMap(\.string).filter { $0 != keys.catalog }.sorted()
                if !others.isEmpty {
                    logger.notice(
                        "cache: this Redis also holds the cache of \(others.count) other catalog(s) (\(others.prefix(5).joined(separator: ", "))): each is kept apart by its own keys and channels"
                    )
                }
            }
            if try replies[1].checked().integer == 1 {
                logger.notice(
                    "cache: this Redis holds keys of a bookcat from before catalogs had namespaces (\(keys.beforeNamespaces)): they are not read, and expire on their own"
                )
            }
        } catch {
            logger.debug("cache: could not record this catalog in Redis", metadata: ["error": "\(error)"])
        }
    }
}
