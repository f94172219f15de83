import BookcatCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import RedisClient

/// The response cache in Redis: at most one round trip per hit, generation-based O(1) invalidation, and reads that fall
/// back to the database (`X-Cache: ERROR`) whenever Redis is slow, down or refusing.
///
/// Bodies this process served lately are also kept in its memory (``NearCache``). While the process holds its
/// ``CacheLease`` (run ``CacheLease/hold()``), a hit on one is served without asking Redis at all, because every
/// write waits until this process has learned its generation. Without the lease, a hit on memory still costs a
/// round trip that reads the generation (a few bytes instead of the body).
///
/// No hit, from either tier, is served unless Redis was lately seen to cover the store's own versions
/// (``StoreCoverage``): a write whose writer could not reach Redis still ends every process's hits on older pages.
public final class RedisResponseCache: ResponseCache {
    private let client: RedisClient
    private let store: any StoreVersionSource
    private let coverage: StoreCoverage
    private let clock: CacheClock
    /// The catalog's keys and channels, once the store has named it.
    private let namespace: CacheNamespace
    /// On a Redis Cluster entries spread over the shards, apart from the versions (``CacheKeys``).
    private let isCluster: Bool
    private let ttlSeconds: Int
    private let logger: Logger
    let fills = FillCoalescer()
    private let near: NearCache
    /// The generation and the session epoch, read once for all the hits on memory that ask at the same time, when
    /// the process holds no lease.
    private let versionChecks = NIOLockedValueBox<SharedRead?>(nil)
    /// Lets hits on memory skip Redis; its versions are the generation and session epoch this process knows.
    public let lease: CacheLease
    private var versions: LocalVersions { lease.versions }
    /// Set when an invalidation could not reach Redis (the catalog version it was for): the next read must
    /// invalidate first, or it could serve a body from before that write. `reconcile` sets it too until it reaches
    /// Redis, which is how a new process pays what a crashed one owed.
    private let invalidationOwed = NIOLockedValueBox<Invalidation?>(nil)

    /// Whether an invalidation is waiting for Redis to answer.
    public var owesInvalidation: Bool { invalidationOwed.withLockedValue { $0 != nil } }

    private struct Invalidation {
        var catalogVersion: Int64
        /// Nil when unknown: the published epoch is then incremented, so every process looks its sessions up again.
        var sessionEpoch: Int64?
        /// After a write: bump whatever the versions say. Reconciling: only when the store is ahead.
        var force: Bool
        /// The store's in-place change head, nil when unknown.
        var bookChanges: Int64?
        /// The head this process reflected before (nil: none yet), and the books changed in place after it up to
        /// `bookChanges` (see ``withChangedBooks(_:)``).
        var reflected: Int64?
        var books: [Int64] = []

        init(_ versions: StoreVersions?, force: Bool) {
            catalogVersion = versions?.catalog ?? 0
            sessionEpoch = versions?.sessions
            bookChanges = versions?.bookChanges
            self.force = force || versions == nil
        }

        /// One invalidation that does what both do, so paying it pays both. Owed ones come here: books are not
        /// carried over, a new generation is forced instead.
        func merged(with other: Invalidation?) -> Invalidation {
            guard let other else { return self }
            var merged = self
            merged.catalogVersion = max(catalogVersion, other.catalogVersion)
            merged.sessionEpoch = sessionEpoch.flatMap { mine in other.sessionEpoch.map { max(mine, $0) } }
            merged.force = force || other.force
            merged.bookChanges = bookChanges.flatMap { mine in other.bookChanges.map { max(mine, $0) } }
            return merged
        }

        /// What is owed when this could not be sent: books cannot wait in memory for Redis, a new generation can.
        var owed: Invalidation {
            var owed = self
            if !books.isEmpty { owed.force = true }
            owed.books = []
            owed.reflected = nil
            return owed
        }

        /// Whether publishing this could change what a reader serves, as far as `known` (what this process learned
        /// and reflected) tells: it forces a new generation, or carries a session epoch or in-place change head past
        /// what this process knew (or one it cannot compare). Only a request that wrote nothing (a login, a refused
        /// edit) changes nothing, and need not wait for readers it cannot reach.
        func mayChange(_ known: LocalVersions) -> Bool {
            if force { return true }
            guard let sessionEpoch, let knownEpoch = known.sessionEpoch, sessionEpoch <= knownEpoch else { return true }
            guard let bookChanges, let reflected = known.bookChangesReflected, bookChanges <= reflected else { return true }
            return false
        }

        /// Whether sending this one also does everything `pending` asks for.
        func covers(_ pending: Invalidation) -> Bool {
            let sessionsCovered =
                switch (sessionEpoch, pending.sessionEpoch) {
                case (nil, _): true
                case (.some, nil): false
                case (.some(let sent), .some(let wanted)): sent >= wanted
                }
            return pending.catalogVersion <= catalogVersion && (force || !pending.force) && sessionsCovered
        }
    }

    private let hits: Counter
    /// The hits among `cache_hits_total` served from this process's memory.
    private let memoryHits: Counter
    private let misses: Counter
    private let bypasses: Counter
    private let errors: Counter
    private let invalidations: Counter
    /// In-place changes published: each made unreachable only the bodies showing its books.
    private let bookInvalidations: Counter
    private let memoryGauges: MemoryGauges

    /// `store` is where the versions every hit rests on come from (``StoreCoverage``): the store the process writes.
    /// `memoryBytes` bounds the tier in this process's memory (``NearCache``); 0 serves every hit from Redis.
    /// `keyPrefix` starts every key and channel (`REDIS_KEY_PREFIX`), before the catalog's identity.
    /// `lease` is how long a renewal of the ``CacheLease`` lets this process serve from memory without asking, and
    /// so the longest a write waits for a reader that went silent. `metrics` receives the `cache_*` counters; the
    /// process-wide factory unless a test passes its own.
    public init(
        client: RedisClient,
        store: any StoreVersionSource,
        ttlSeconds: Int,
        memoryBytes: Int,
        lease: Duration = .seconds(1),
        keyPrefix: String = "bookcat",
        metrics: any MetricsFactory,
        clock: CacheClock = .continuous,
        logger: Logger
    ) {
        self.clock = clock
        self.coverage = StoreCoverage(clock: clock)
        self.hits = Counter(label: "cache_hits_total", factory: metrics)
        self.memoryHits = Counter(label: "cache_memory_hits_total", factory: metrics)
        self.misses = Counter(label: "cache_misses_total", factory: metrics)
        self.bypasses = Counter(label: "cache_bypasses_total", factory: metrics)
        self.errors = Counter(label: "cache_errors_total", factory: metrics)
        self.invalidations = Counter(label: "cache_invalidations_total", factory: metrics)
        self.bookInvalidations = Counter(label: "cache_book_invalidations_total", factory: metrics)
        self.memoryGauges = MemoryGauges(factory: metrics)
        self.client = client
        self.store = store
        self.namespace = CacheNamespace(prefix: keyPrefix, store: store, logger: logger)
        self.isCluster = client.configuration.cluster != nil
        self.near = NearCache(capacityBytes: memoryBytes)
        self.lease = CacheLease(duration: lease, client: client, namespace: namespace, near: near, clock: clock, logger: logger)
        self.ttlSeconds = ttlSeconds
        self.logger = logger
    }

    public func body(
        for key: String,
        policy: CachePolicy,
        fill: @escaping @Sendable () async throws -> CachedBody
    ) async throws -> CacheRead {
        if policy == .bypass {
            bypasses.increment()
            return CacheRead(body: try await fill(), outcome: .bypass)
        }
        let keys: CacheKeys
        let hashedKey = CacheKeys.hashed(key)
        let generation: String
        let sessionEpoch: Int64?
        let changes: Int64?
        do {
            keys = try await namespace.keys()
            try await payInvalidationOwed()
            let read = try await read(hashedKey, keys: keys, lookInMemory: policy == .normal)
            if policy == .normal, let found = read.found {
                hits.increment()
                if found.tier == .memory {
                    memoryHits.increment()
                } else if let changes = read.changes {
                    near.store(found.body, for: hashedKey, generation: read.generation, readAt: changes)
                }
                return CacheRead(body: found.body, outcome: .hit, tier: found.tier, sessionEpoch: read.sessionEpoch)
            }
            generation = read.generation
            sessionEpoch = read.sessionEpoch
            changes = read.changes
        } catch {
            errors.increment()
            logger.debug("cache read failed; serving from the database", metadata: ["error": "\(error)"])
            return CacheRead(body: try await fill(), outcome: .error)
        }

        let entryKey = keys.entry(generation: generation, hashedKey: hashedKey)
        // Shared only with requests that read the same change count: one that arrived after an in-place change was
        // answered reads a later count, and never gets a body rendered before it.
        let (body, ranFill) = try await fills.run(entryKey + "@" + (changes.map(String.init) ?? ""), fill: fill)
        misses.increment()
        if ranFill, let changes {
            do {
                let stored =
                    isCluster
                    ? try await storeOnCluster(body, at: entryKey, readAt: changes)
                    : try await client.evaluate(
                        .store,
                        keys: [entryKey, keys.changedBooks(generation: generation), keys.changeCounter],
                        arguments: [
                            RedisArgument(bytes: CachedBodyCodec.encode(body)), RedisArgument(ttlSeconds), RedisArgument(Int(changes)),
                            RedisArgument(keys.showing(generation: generation)), RedisArgument(hashedKey),
                            RedisArgument(CachedBodyCodec.booksField(body.books)),
                        ]
                    ).integer == 1
                // Only once Redis holds it: the memory tier never has what the shared tier lacks. (Refused when a
                // book it shows changed in place while it rendered: the body is still this request's answer, which
                // began before that write was answered.)
                if stored { near.store(body, for: hashedKey, generation: generation, readAt: changes) }
            } catch {
                errors.increment()
                logger.debug("cache store failed", metadata: ["error": "\(error)"])
            }
        }
        return CacheRead(body: body, outcome: .miss, sessionEpoch: sessionEpoch)
    }

    public func invalidateCatalog(after versions: StoreVersions?) async {
        await invalidate(Invalidation(versions, force: true))
    }

    public func reconcile(with versions: StoreVersions) async {
        await invalidate(Invalidation(versions, force: false))
    }

    /// The session epoch this process learned last, while its lease and the store's coverage vouch for it: what a
    /// hit from memory is served on, too.
    public func currentSessionEpoch() -> Int64? {
        versions.trusted(at: clock.now)?.sessionEpoch
    }

    private func invalidate(_ wanted: Invalidation) async {
        // Merged with anything still owed, so paying one pays all.
        let invalidation = await withChangedBooks(invalidationOwed.withLockedValue { wanted.merged(with: $0) })
        do {
            try await send(invalidation)
            clearOwed(ifCoveredBy: invalidation)
        } catch {
            invalidationOwed.withLockedValue { $0 = invalidation.owed }
            errors.increment()
            logger.warning("cache invalidation failed; the next cache read invalidates first", metadata: ["error": "\(error)"])
            // Readers elsewhere cannot learn of this write from us: whatever it changed (a new generation, books
            // changed in place, sessions ended), it is not answered until their leases have run out, by when their
            // own coverage checks have found it in the store.
            if invalidation.mayChange(versions) { await lease.waitOutLeases() }
        }
    }

    /// `invalidation` with the books changed in place since the head this process reflects, read from the store;
    /// forced to a new generation when the store no longer holds them all (or cannot say). Nothing to read when
    /// the generation moves anyway, or when this process reflects no head yet (the publish script then compares the
    /// store's head with Redis's, see ``CacheScript/publish``).
    private func withChangedBooks(_ invalidation: Invalidation) async -> Invalidation {
        var invalidation = invalidation
        guard let head = invalidation.bookChanges, let reflected = versions.bookChangesReflected else { return invalidation }
        invalidation.reflected = reflected
        guard !invalidation.force, head > reflected else { return invalidation }
        if let books = try? await store.changedBooks(after: reflected, through: head) {
            invalidation.books = books
        } else {
            invalidation.force = true
        }
        return invalidation
    }

    /// Holds the lease (``CacheLease/hold()``) and keeps the store's versions covered in Redis, a check every fifth of
    /// a lease (``StoreCoverage``), for as long as the calling task runs: what every `bookcat serve` process does.
    public func keepCurrent() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.lease.hold() }
            group.addTask { await self.keepStoreCovered() }
            group.addTask { await self.announceCatalog() }
        }
    }

    /// Once the store has named the catalog: records it in Redis, and logs who else shares this Redis.
    private func announceCatalog() async {
        while !Task.isCancelled {
            if let keys = try? await namespace.keys() {
                await namespace.announce(keys, through: client)
                return
            }
            try? await clock.sleep(for: lease.duration)
        }
    }

    private func keepStoreCovered() async {
        while !Task.isCancelled {
            let started = clock.now
            recordMemory()
            do {
                try await coverStore(arrivedAt: started)
            } catch {
                // Hits wait for the next check that succeeds, or run their own.
                logger.debug("cache: the store's versions could not be covered", metadata: ["error": "\(error)"])
            }
            try? await clock.sleep(until: started + lease.duration / 5)
        }
    }

    /// Sets the gauges of what this process holds in memory (``MemoryGauges``).
    func recordMemory() {
        memoryGauges.record(near.footprint, readersRemembered: lease.acks.readersRemembered, fillsInFlight: fills.inFlightCount)
    }

    /// Returns once a check that began at or after `arrival` read the store's versions and saw Redis cover them
    /// (invalidating if the store was ahead), which lets hits be served for nine tenths of a lease from its start.
    private func coverStore(arrivedAt arrival: CacheClock.Instant) async throws {
        try await coverage.check(arrivedAt: arrival) { [self] started in
            let current = try await store.storeVersions()
            // Anything owed goes with it, so paying one pays both.
            let invalidation = await withChangedBooks(
                invalidationOwed.withLockedValue { Invalidation(current, force: false).merged(with: $0) }
            )
            // Other readers need not confirm what this learned: each serves only on a check of its own, which learns
            // the same from Redis. (A write answered to a client still waits for them: that is `invalidate`.)
            try await send(invalidation, waitingForReaders: false)
            clearOwed(ifCoveredBy: invalidation)
            // A tenth to spare, as for the lease: a writer that could not reach Redis waits a whole one.
            versions.coverStore(until: started + lease.duration * 0.9)
        }
    }

    public func health() async -> CacheHealth {
        do {
            try await client.probe()
            return .ok
        } catch {
            return .unavailable(reason: client.describeFailure(error))
        }
    }

    // MARK: - Redis operations

    private func payInvalidationOwed() async throws {
        guard let owed = invalidationOwed.withLockedValue({ $0 }) else { return }
        try await send(owed)
        clearOwed(ifCoveredBy: owed)
        logger.info("cache invalidated after Redis became reachable again")
    }

    /// Forgets what is owed once `sent` covers it; an invalidation owed meanwhile by a concurrent failure stays.
    private func clearOwed(ifCoveredBy sent: Invalidation) {
        invalidationOwed.withLockedValue { owed in
            guard let pending = owed else { return }
            if sent.covers(pending) { owed = nil }
        }
    }

    /// Publishes the invalidation, then (unless told not to) waits until every reader holding a lease has learned it
    /// (``CacheLease``).
    private func send(_ invalidation: Invalidation, waitingForReaders: Bool = true) async throws {
        let keys = try await namespace.keys()
        // A write's publish on a cluster takes its `WAIT` along (see ``reachedReplica``).
        let (reply, waitReply) = try await client.evaluate(
            .publish,
            waitingForReplica: isCluster && waitingForReaders,
            keys: [keys.generation, keys.catalogVersion, keys.sessionEpoch, keys.readers, keys.changeCounter, keys.storeBookChanges],
            arguments: [
                RedisArgument(Int(invalidation.catalogVersion)), invalidation.force ? "1" : "0",
                invalidation.sessionEpoch.map { RedisArgument(Int($0)) } ?? "", RedisArgument(keys.changesChannel),
                invalidation.bookChanges.map { RedisArgument(Int($0)) } ?? "", invalidation.reflected.map { RedisArgument(Int($0)) } ?? "",
                RedisArgument(keys.generationScopedPrefix), RedisArgument(CachedBodyCodec.booksField(invalidation.books)),
                RedisArgument(isCluster ? "" : keys.entryPrefix),
            ]
        )
        guard case .array(let values) = reply, values.count >= 7, let generation = values[1].string, let age = values[4].integer,
            let counter = values[5].integer
        else {
            throw RedisError.protocolError("unexpected reply to the cache publish script: \(reply)")
        }
        if values[0].integer == 1 { invalidations.increment() }
        if values[6].integer == 1 {
            bookInvalidations.increment()
            near.drop(books: invalidation.books, generation: generation, change: counter)
        }
        let sessionEpoch = values[2].integer
        versions.learn(generation: generation, sessionEpoch: sessionEpoch)
        // Redis reflects the head now (by dropping the books, a new generation, or a check that it already did),
        // and so does this process's memory: it dropped them too, or moved past their generation.
        if let head = invalidation.bookChanges { versions.reflect(through: head) }
        guard waitingForReaders, values[3].integer == 1, let generationNumber = Int64(generation) else { return }
        let replicated = await reachedReplica(keys, waitReply: waitReply)
        await lease.waitForReaders(
            values[7...],
            registryAgeMilliseconds: age,
            toConfirm: .init(generation: generationNumber, sessionEpoch: sessionEpoch ?? 0, changes: counter)
        )
        // Not on the replica: a failover now could take the versions back to before this write, and the readers that
        // confirmed it would follow the promoted replica. Answered only once their leases (and the coverage checks
        // that rest on the versions) have run out, as for a write that could not reach Redis.
        if !replicated { await lease.waitOutLeases() }
    }

    /// On a cluster whose control shard has a replica: whether the replica has this publish (its `WAIT 1`, sent with
    /// it on the same connection, half the command timeout). A replica resynchronising, or gone, is a no; on one
    /// server (or Sentinel) nothing is asked.
    private func reachedReplica(_ keys: CacheKeys, waitReply: RESPValue?) async -> Bool {
        guard isCluster, let replicas = try? await client.replicaCount(forKey: keys.generation), replicas > 0 else { return true }
        let acknowledged = waitReply?.integer ?? 0
        if acknowledged < 1 { logger.debug("cache: the control shard's replica did not confirm a write in time; it waits out a lease") }
        return acknowledged >= 1
    }

    private struct Read {
        var generation: String
        var found: (body: CachedBody, tier: CacheTier)?
        var sessionEpoch: Int64?
        /// The change counter, read with the generation before anything else: a body rendered or read from Redis
        /// after it is kept only if none of its books changed in place since. Nil when not read (a hit from memory).
        var changes: Int64?

        init(generation: String, found: (body: CachedBody, tier: CacheTier)?, sessionEpoch: Int64?, changes: Int64?) {
            self.generation = generation
            self.found = found
            self.sessionEpoch = sessionEpoch
            self.changes = changes
        }

        init(generation: String, stored body: CachedBody?, sessionEpoch: Int64?, changes: Int64?) {
            self.init(generation: generation, found: body.map { ($0, .redis) }, sessionEpoch: sessionEpoch, changes: changes)
        }
    }

    /// Reads the generation, the session epoch, the change counter and the entry for `hashedKey` in one round trip.
    /// When this process holds the entry in memory under the generation it knows, the entry is not read, and the one
    /// in memory is served if the generation is still that one and no book changed in place since it was read.
    private func read(_ hashedKey: String, keys: CacheKeys, lookInMemory: Bool) async throws -> Read {
        // On the lease, the generation this process knows is current, and the bodies in memory that show a book
        // changed in place are gone: every write waits until this process has learned it.
        if lookInMemory, let trusted = versions.trusted(at: clock.now), let body = near.body(for: hashedKey, generation: trusted.generation) {
            return Read(generation: trusted.generation, found: (body, .memory), sessionEpoch: trusted.sessionEpoch, changes: nil)
        }
        // Whatever Redis holds is current only if it covers every write the store has committed.
        let arrival = clock.now
        if !versions.isStoreCovered(at: arrival) { try await coverStore(arrivedAt: arrival) }
        if let known = versions.generation {
            let inMemory = lookInMemory ? near.entry(for: hashedKey, generation: known) : nil
            let replies =
                if inMemory == nil {
                    try await client.send(pipeline: [
                        ["GET", RedisArgument(keys.generation)], ["GET", RedisArgument(keys.sessionEpoch)],
                        ["GET", RedisArgument(keys.changeCounter)],
                        ["GET", RedisArgument(keys.entry(generation: known, hashedKey: hashedKey))],
                    ])
                } else {
                    try await versionCheck(keys).read()
                }
            // The generation was read after this request arrived: if it is still the one this process knew, the entry
            // stored under it (in Redis or in memory) is current for this request. A generation bumped since (by any
            // process) is learned here, and the entry read again under it.
            if let current = try replies[0].checked().string, let changes = try replies[2].checked().integer {
                let sessionEpoch = try replies[1].checked().integer
                if current == known {
                    if let inMemory, inMemory.readAt >= changes {
                        return Read(generation: known, found: (inMemory.body, .memory), sessionEpoch: sessionEpoch, changes: changes)
                    }
                    let stored =
                        inMemory == nil
                        ? try replies[3].checked().bytes
                        : try await client.send("GET", RedisArgument(keys.entry(generation: known, hashedKey: hashedKey))).checked().bytes
                    let body = try await currentBody(stored, generation: known, changes: changes, keys: keys)
                    return Read(generation: known, stored: body, sessionEpoch: sessionEpoch, changes: changes)
                }
                versions.learn(generation: current)
                let entry = try await client.send("GET", RedisArgument(keys.entry(generation: current, hashedKey: hashedKey))).checked()
                let body = try await currentBody(entry.bytes, generation: current, changes: changes, keys: keys)
                return Read(generation: current, stored: body, sessionEpoch: sessionEpoch, changes: changes)
            }
            // No generation or counter at all (a fresh or flushed Redis): the script below creates them.
        }
        return try await readWithScript(hashedKey, keys: keys)
    }

    /// The generation, session epoch and change counter, read once for all the hits on memory that ask at the same
    /// time, when the process holds no lease.
    private func versionCheck(_ keys: CacheKeys) -> SharedRead {
        versionChecks.withLockedValue { check in
            if let check { return check }
            let made = SharedRead(
                client: client,
                pipeline: [
                    ["GET", RedisArgument(keys.generation)], ["GET", RedisArgument(keys.sessionEpoch)],
                    ["GET", RedisArgument(keys.changeCounter)],
                ]
            )
            check = made
            return made
        }
    }

    /// Reads the generation, creating it when missing, and the entry under it, atomically.
    private func readWithScript(_ hashedKey: String, keys: CacheKeys) async throws -> Read {
        let reply = try await client.evaluate(
            .read,
            keys: [keys.generation, keys.sessionEpoch, keys.changeCounter],
            arguments: [RedisArgument(isCluster ? "" : keys.entryPrefix), RedisArgument(hashedKey)]
        )
        guard case .array(let values) = reply, values.count == 4, let generation = values[0].string, let changes = values[3].integer else {
            throw RedisError.protocolError("unexpected reply to the cache read script: \(reply)")
        }
        versions.learn(generation: generation)
        // On a cluster the entry lives on its own shard: read after the script, under the generation it gave.
        let stored =
            isCluster
            ? try await client.send("GET", RedisArgument(keys.entry(generation: generation, hashedKey: hashedKey))).checked().bytes
            : values[1].bytes
        let body = try await currentBody(stored, generation: generation, changes: changes, keys: keys)
        return Read(generation: generation, stored: body, sessionEpoch: values[2].integer, changes: changes)
    }

    // MARK: - Entries on a cluster

    /// The body an entry read from Redis holds, if it is current for a request that read the change counter
    /// `changes` after it arrived. On one server every entry stored under the current generation is (the store and
    /// publish scripts keep them so, atomically). On a cluster the entries live on other shards than the counter, so
    /// nothing deletes them when a book they show changes in place: each is stamped with the count its body was
    /// rendered at, and is current only if none of its books changed since, as the generation's changed-books hash
    /// (beside the counter) says. A hash that cannot vouch for the whole span (lost, or begun after the stamp)
    /// vouches for nothing.
    private func currentBody(_ stored: [UInt8]?, generation: String, changes: Int64, keys: CacheKeys) async throws -> CachedBody? {
        guard let stored else { return nil }
        guard isCluster else { return CachedBodyCodec.decode(stored) }
        guard let (body, renderedAt) = CachedBodyCodec.decodeStamped(stored) else { return nil }
        if renderedAt >= changes { return body }
        guard let books = body.books else { return nil }
        if books.isEmpty { return body }
        let fields = ["~since"] + books.map(String.init)
        let reply = try await client.send(
            ["HMGET", RedisArgument(keys.changedBooks(generation: generation))] + fields.map { RedisArgument($0) }
        ).checked()
        guard case .array(let counts) = reply, counts.count == fields.count, let since = counts[0].integer, since <= renderedAt + 1 else {
            return nil
        }
        return counts.dropFirst().allSatisfy { ($0.integer ?? .min) <= renderedAt } ? body : nil
    }

    /// Stores an entry on its own shard, stamped with the change count its body was rendered at (see ``currentBody(_:generation:changes:keys:)``).
    private func storeOnCluster(_ body: CachedBody, at entryKey: String, readAt: Int64) async throws -> Bool {
        let reply = try await client.send(
            "SET",
            RedisArgument(entryKey),
            RedisArgument(bytes: CachedBodyCodec.encode(body, stampedWith: readAt)),
            "EX",
            RedisArgument(ttlSeconds)
        )
        return try reply.checked() == .simpleString("OK")
    }
}
