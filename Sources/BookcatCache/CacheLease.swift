import BookcatCore
import BookcatDigest
import Foundation
import Logging
import RedisClient

/// Lets a process serve the bodies it holds in memory without asking Redis on every hit, and still never serve a
/// page older than a write any process has answered.
///
/// The rule is kept by making writes wait, not reads:
/// - A process that wants to serve from memory subscribes to the cache's changes channel, then registers in the
///   reader registry (a sorted set in Redis) until its lease ends by Redis's clock, renewing it every fifth of the
///   lease. The renewal also returns the current generation and session epoch. The process acts on what it knows
///   only until its lease ends by its own clock, counted from before it sent the renewal, so always before Redis
///   considers it gone.
/// - A write's invalidation (one script, ``CacheScript/publish``) bumps the generation, announces it on the changes
///   channel, and returns the readers whose leases are live. The writer answers only once each of them has
///   confirmed (on the acks channel) that it learned the new generation, or its lease has run out: a reader that
///   renews after the write learns the generation from the renewal itself. If the registry is younger than one
///   lease (Redis lost it), the writer waits out a whole lease, so readers it cannot see have lapsed.
/// - A writer that cannot reach Redis waits out a whole lease before it answers, for the same reason; and since
///   processes that still reach Redis would not learn of its write from Redis, no process serves a hit, from either
///   tier, unless a check begun less than a lease ago saw Redis cover the store's versions (``StoreCoverage``).
///
/// A crashed reader costs writes at most one lease of waiting; one that stops cleanly leaves the registry at once.
/// While a process holds no lease (not subscribed, Redis unreachable, or ``hold()`` never run), every hit asks Redis
/// for the generation, as before.
public final class CacheLease: Sendable {
    /// How long a renewal lets a process serve from memory, and the longest a write waits for a silent reader.
    public let duration: Duration
    /// This process's name in the registry.
    let readerID: String
    let versions = LocalVersions()
    let acks = ReaderAcks()
    private let client: RedisClient
    private let namespace: CacheNamespace
    private let near: NearCache
    private let logger: Logger
    private let clock: CacheClock

    init(duration: Duration, client: RedisClient, namespace: CacheNamespace, near: NearCache, clock: CacheClock, logger: Logger) {
        self.duration = duration
        self.clock = clock
        self.readerID = (0..<16).map { _ in UInt8.random(in: 0...255) }.hexString
        self.client = client
        self.namespace = namespace
        self.near = near
        self.logger = logger
    }

    /// Whether hits may act on what this process knows without asking Redis, right now.
    public var isInForce: Bool { versions.trusted(at: clock.now) != nil }

    /// Whether a lease is worth holding: without the memory tier there is nothing to serve from memory.
    var isUseful: Bool { near.isEnabled }

    /// Subscribes, registers and renews, for as long as the calling task runs; reconnects after failures.
    /// Leaves the registry when cancelled.
    public func hold() async {
        guard isUseful else { return }
        var retry = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let keys = try await namespace.keys()
                let subscription = try await RedisSubscription.subscribe(
                    to: [keys.changesChannel, keys.acksChannel],
                    configuration: client.configuration
                )
                // What was learned before this subscription may be from a Redis that has since restarted. Changes
                // announced before it began were missed: nothing read before the first renewal's count is kept.
                versions.forgetAll()
                near.removeAll(floor: .max)
                retry = .milliseconds(100)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.receive(subscription.messages, keys: keys) }
                    group.addTask { await self.keepRenewing(keys: keys) }
                    // Either ends only when the subscription closed (or on cancellation): stop the other.
                    await group.next()
                    subscription.close()
                    group.cancelAll()
                }
            } catch {
                logger.debug("cache lease: could not subscribe", metadata: ["error": "\(error)"])
            }
            versions.distrust()
            await leave()
            try? await clock.sleep(for: retry)
            retry = min(retry * 2, duration)
        }
    }

    /// Waits until every reader in a publish script's reply other than this process has confirmed `wanted`, or its
    /// lease ended; a whole lease if the registry is younger than one.
    func waitForReaders(_ reply: ArraySlice<RESPValue>, registryAgeMilliseconds: Int64, toConfirm wanted: ReaderAcks.Ack) async {
        let received = clock.now
        let registryAge = Duration.milliseconds(registryAgeMilliseconds)
        if registryAge < duration {
            try? await clock.sleep(until: received + duration - registryAge)
        }
        var index = reply.startIndex
        while index + 1 < reply.endIndex {
            defer { index += 2 }
            guard let reader = reply[index].string, reader != readerID, let remaining = reply[index + 1].integer else { continue }
            // Counted from when the reply arrived, which is after Redis computed it: never shorter than the lease.
            await acks.wait(for: reader, toConfirm: wanted, until: received + .milliseconds(remaining), on: clock)
        }
    }

    /// For a write whose invalidation could not reach Redis: every reader's lease, and every process's coverage of
    /// the store's versions from before this write, ends within one lease from now.
    /// (This process's own hits are held back by the invalidation it now owes, which every read pays first.)
    func waitOutLeases() async {
        try? await clock.sleep(for: duration)
    }

    // MARK: - The reader's side

    /// Runs once per subscription: its first successful renewal sets where the change count starts.
    private func keepRenewing(keys: CacheKeys) async {
        var counted = false
        while !Task.isCancelled {
            let sent = clock.now
            do {
                let reply = try await client.evaluate(
                    .renewLease,
                    keys: [keys.generation, keys.sessionEpoch, keys.readers, keys.changeCounter],
                    arguments: [RedisArgument(readerID), RedisArgument(Int(duration / .milliseconds(1)))]
                )
                guard case .array(let values) = reply, values.count == 3, let generation = values[0].string,
                    let changes = values[2].integer
                else {
                    throw RedisError.protocolError("unexpected reply to the lease renewal: \(reply)")
                }
                versions.learn(generation: generation, sessionEpoch: values[1].integer)
                if !counted {
                    // The subscription's first count: every change announced since it began arrives on it (and is
                    // acted on as it arrives, even before this), and bodies read before this count are refused, so
                    // every earlier one counts as acted on.
                    near.raiseFloor(to: changes)
                    versions.actedOn(changesThrough: changes)
                    counted = true
                }
                // A tenth of the lease to spare, against clocks that do not tick quite alike. In force only once
                // every change announced before this renewal has been acted on.
                versions.trust(until: sent + duration * 0.9, changes: changes)
            } catch {
                // The lease runs out on its own; the next renewal may succeed.
                logger.debug("cache lease: renewal failed", metadata: ["error": "\(error)"])
            }
            try? await clock.sleep(until: sent + duration / 5)
        }
    }

    private func receive(_ messages: AsyncStream<RedisSubscription.Message>, keys: CacheKeys) async {
        for await message in messages {
            let fields = String(decoding: message.payload, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
            if message.channel == keys.changesChannel, let change = CacheChange(fields) {
                act(on: change)
                // Confirmed only once acted on: a writer waiting for this may answer as soon as it arrives.
                _ = try? await client.send(
                    "PUBLISH",
                    RedisArgument(keys.acksChannel),
                    RedisArgument("\(readerID) \(change.generation) \(change.sessionEpoch ?? 0) \(change.counter)")
                )
            } else if message.channel == keys.acksChannel, fields.count == 4, let generation = Int64(fields[1]),
                let epoch = Int64(fields[2]), let changes = Int64(fields[3])
            {
                acks.record(.init(generation: generation, sessionEpoch: epoch, changes: changes), from: String(fields[0]))
            }
        }
    }

    /// Learns an announced change: the generation and epoch, the bodies in memory that show a book changed in
    /// place, and how far this process now reflects the store's in-place changes.
    private func act(on change: CacheChange) {
        versions.learn(generation: change.generation, sessionEpoch: change.sessionEpoch)
        if !change.books.isEmpty {
            near.drop(books: change.books, generation: change.generation, change: change.counter)
        }
        // Messages arrive in the order they were published: every change counted up to this one has been acted on
        // since the subscription began, and the ones before it are the first renewal's to cover.
        versions.actedOn(changesThrough: change.counter)
        if let through = change.reflectsThrough { versions.reflect(bookChangesAfter: change.reflectsAfter, through: through) }
    }

    private func leave() async {
        guard let keys = namespace.known else { return }
        _ = try? await client.send("ZREM", RedisArgument(keys.readers), RedisArgument(readerID))
    }
}
