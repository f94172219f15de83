import BookcatCore
import NIOConcurrencyHelpers

/// Bodies this process has served lately, kept in its own memory for one cache generation: the tier in front of
/// Redis.
///
/// It never decides on its own that a body is current. ``RedisResponseCache`` serves an entry from here only under
/// the generation this process holds current: confirmed by a round trip to Redis sent after the request arrived
/// (which also says no book changed in place since the entry was read), or, while the process holds its
/// ``CacheLease``, by the lease (a write waits until every leased reader has learned its generation, and has
/// dropped the bodies that show a book it changed in place, before it answers). A body from before a write any
/// process has answered is never served.
///
/// Only the newest generation's entries are kept: learning a newer one drops the rest. Within a generation, entries
/// are evicted oldest first once `capacityBytes` is reached, which costs a hot page one read from Redis.
///
/// Everything it keeps is bounded by `capacityBytes`, under any mix of stores, drops and generations: each entry is
/// charged for its body and its bookkeeping (its slot, its records in the order and the index, stale ones included,
/// which are compacted once they outnumber the live ones), and the books changed in place that it remembers are at
/// most a share of the capacity (``footprint`` counts them all, for `/metrics`).
///
/// In-place changes (``BookcatCore/StoreVersions/bookChanges``) arrive as ``drop(books:generation:change:)``: the
/// bodies that show one of those books go, and a body read from Redis before that change is refused when it
/// arrives later (its reader may have read it just before the change deleted it there).
final class NearCache: Sendable {
    struct Entry: Sendable {
        var body: CachedBody
        /// The cache's change counter when the body was read from Redis (``CacheScript``): it was current then.
        var readAt: Int64
        /// When it was stored, counted in stores: which of its key's records in `order` is its own.
        var stamp: Int = 0
    }

    /// How many of each thing the tier holds: what bounds its memory, and what `/metrics` shows.
    struct Footprint: Sendable, Equatable {
        /// Bodies held.
        var entries = 0
        /// What they are charged (``NearCache/capacityBytes`` bounds it).
        var bytes = 0
        /// Records of the order of stores, stale ones (of entries dropped, replaced or evicted) included.
        var orderRecords = 0
        /// Book → key listings of the index, stale ones included.
        var indexListings = 0
        /// Books changed in place this generation whose change counter is remembered.
        var changedBooks = 0
    }

    private struct State {
        var generation: String?
        var entries: [String: Entry] = [:]
        /// Keys in the order they were stored, each with its store's stamp; `evicted` of them are consumed already.
        /// A record whose key's entry is gone or was stored again since is stale: eviction skips it, and the order
        /// is rebuilt from the entries once stale records outnumber them (a key dropped by an in-place change and
        /// stored again, over and over while the tier is never full, would otherwise add a record each time).
        var order: [(key: String, stamp: Int)] = []
        var evicted = 0
        var stores = 0
        var bytes = 0
        /// Which stored keys show each book; `anyBook` lists those whose body may show any book. Keys stay listed
        /// after their entry is evicted or replaced: `indexed` counts them all, and the index is rebuilt from the
        /// entries when it outgrows them.
        var showing: [Int64: [String]] = [:]
        var anyBook: [String] = []
        var indexed = 0
        /// How many of those listings belong to entries still held.
        var live = 0
        /// The change counter at which each book was last changed in place, in this generation.
        var changedAt: [Int64: Int64] = [:]
        /// The newest change counter learned. A body that may show any book is refused if read before it.
        var newestChange: Int64 = .min
        /// Bodies read before this are refused whatever they show: raised when `changedAt` is forgotten to bound it,
        /// and set to the top while the process cannot yet know which changes it missed.
        var floor: Int64 = .min
    }

    let capacityBytes: Int
    private let state = NIOLockedValueBox(State())
    /// Past this many books changed in one generation, their counters are folded into `floor`: at most an eighth of
    /// the capacity, at ``changedBookBytes`` each, and never more than 65,536 books.
    let rememberedChanges: Int
    /// What remembering one changed book costs: its key and counter in a hash table with room to grow.
    private static let changedBookBytes = 64

    /// `capacityBytes` 0 turns the tier off.
    init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
        self.rememberedChanges = min(65_536, max(64, self.capacityBytes / 8 / Self.changedBookBytes))
    }

    var isEnabled: Bool { capacityBytes > 0 }

    /// The body stored for `key` under exactly `generation`, if any.
    func body(for key: String, generation: String) -> CachedBody? {
        entry(for: key, generation: generation)?.body
    }

    /// The entry stored for `key` under exactly `generation`, with the change counter it was read at.
    func entry(for key: String, generation: String) -> Entry? {
        guard isEnabled else { return nil }
        return state.withLockedValue { state in
            state.generation == generation ? state.entries[key] : nil
        }
    }

    /// Keeps `body`, read from Redis at change counter `readAt`, for `key` under `generation`. A newer generation
    /// drops everything stored under older ones; a body for an older generation than the newest seen is not kept (no
    /// request could be served it), nor one that shows a book changed in place after `readAt`.
    func store(_ body: CachedBody, for key: String, generation: String, readAt: Int64) {
        let size = Self.size(of: body, key: key)
        // One entry may not push out most of the others.
        guard isEnabled, size <= capacityBytes / 4 else { return }
        state.withLockedValue { state in
            guard Self.enter(generation, &state) else { return }
            guard readAt >= state.floor else { return }
            if let books = body.books {
                if books.contains(where: { state.changedAt[$0].map { $0 > readAt } ?? false }) { return }
                for book in books { state.showing[book, default: []].append(key) }
            } else {
                if state.newestChange > readAt { return }
                state.anyBook.append(key)
            }
            state.indexed += Self.listings(body)
            state.live += Self.listings(body)
            state.stores += 1
            let stamp = state.stores
            if let replaced = state.entries.updateValue(Entry(body: body, readAt: readAt, stamp: stamp), forKey: key) {
                Self.uncount(replaced, key: key, &state)
            }
            // Stored again, it is the newest: its older record is stale now.
            state.order.append((key, stamp))
            state.bytes += size
            while state.bytes > capacityBytes, state.evicted < state.order.count {
                let oldest = state.order[state.evicted]
                state.evicted += 1
                if let entry = state.entries[oldest.key], entry.stamp == oldest.stamp {
                    state.entries[oldest.key] = nil
                    Self.uncount(entry, key: oldest.key, &state)
                }
            }
            Self.compactOrder(&state)
            // Amortised: a rebuild costs what the listings it drops cost to add.
            if state.indexed > 1_024 + 2 * state.live { Self.reindex(&state) }
        }
    }

    /// `books` changed in place at change counter `change` under `generation`: drops every body that shows one of
    /// them (or may show any book), and refuses those read before `change` from now on.
    func drop(books: [Int64], generation: String, change: Int64) {
        guard isEnabled else { return }
        state.withLockedValue { state in
            guard Self.enter(generation, &state) else { return }
            state.newestChange = max(state.newestChange, change)
            var gone = state.anyBook
            state.anyBook = []
            for book in books {
                gone += state.showing.removeValue(forKey: book) ?? []
                state.changedAt[book] = max(state.changedAt[book] ?? .min, change)
            }
            // The gone entries' other books still list them until the next rebuild: dropping a key twice is harmless.
            state.indexed -= gone.count
            for key in gone {
                if let removed = state.entries.removeValue(forKey: key) {
                    Self.uncount(removed, key: key, &state)
                }
            }
            if state.changedAt.count > rememberedChanges {
                state.changedAt = [:]
                state.floor = max(state.floor, state.newestChange)
            }
        }
    }

    /// Drops every entry and forgets the generation, so the next one stored is taken whatever its number; refuses
    /// bodies read before `floor` (the top: every body, until ``raiseFloor(to:)`` says from where they may be kept).
    func removeAll(floor: Int64) {
        state.withLockedValue { $0 = State(floor: floor) }
    }

    /// Refuses bodies read before `floor` from now on; lowers a floor that was set to the top.
    func raiseFloor(to floor: Int64) {
        state.withLockedValue { state in
            state.floor = state.floor == .max ? floor : max(state.floor, floor)
        }
    }

    /// Bytes the entries hold now (bodies, tags and keys).
    var storedBytes: Int { state.withLockedValue { $0.bytes } }

    /// How many book → key listings the index holds, stale ones included (for tests: it stays bounded).
    var indexedListings: Int { state.withLockedValue { $0.indexed } }

    /// How many of each thing the tier holds now.
    var footprint: Footprint {
        state.withLockedValue { state in
            Footprint(
                entries: state.entries.count,
                bytes: state.bytes,
                orderRecords: state.order.count - state.evicted,
                indexListings: state.indexed,
                changedBooks: state.changedAt.count
            )
        }
    }

    /// Moves to `generation` if it is newer; false if it is older than the one held.
    private static func enter(_ generation: String, _ state: inout State) -> Bool {
        guard state.generation != generation else { return true }
        guard isNewer(generation, than: state.generation) else { return false }
        state = State(generation: generation, floor: state.floor)
        return true
    }

    /// Takes an entry that is no longer held out of the byte and listing counts.
    private static func uncount(_ entry: Entry, key: String, _ state: inout State) {
        state.bytes -= size(of: entry.body, key: key)
        state.live -= listings(entry.body)
    }

    /// Cuts the consumed prefix of the order once it is most of the array, and rebuilds the order from the entries
    /// once stale records outnumber them. Amortised, as for the index: a rebuild costs what the records it drops cost
    /// to add.
    private static func compactOrder(_ state: inout State) {
        if state.evicted > 64, state.evicted * 2 > state.order.count {
            state.order.removeFirst(state.evicted)
            state.evicted = 0
        }
        if state.order.count - state.evicted > 64 + 2 * state.entries.count {
            state.order = state.entries.map { (key: $0.key, stamp: $0.value.stamp) }.sorted { $0.stamp < $1.stamp }
            state.evicted = 0
        }
    }

    /// Lists again only the keys whose entries are still held.
    private static func reindex(_ state: inout State) {
        state.showing = [:]
        state.anyBook = []
        for (key, entry) in state.entries {
            if let books = entry.body.books {
                for book in books { state.showing[book, default: []].append(key) }
            } else {
                state.anyBook.append(key)
            }
        }
        state.indexed = state.live
    }

    /// How many index listings a body takes: one per book it shows, or one in `anyBook`.
    private static func listings(_ body: CachedBody) -> Int {
        body.books?.count ?? 1
    }

    /// What one entry is charged: its body, its tag and its key, what it holds in the index (a listing per book it
    /// shows, and up to two stale ones besides before a rebuild, at 16 bytes each) and its bookkeeping (its slot in
    /// the entries, up to three records in the order, and the headers of its arrays and strings).
    static func size(of body: CachedBody, key: String) -> Int {
        body.bytes.count + body.etag.utf8.count + key.utf8.count + 48 * (body.books?.count ?? 1) + 256
    }

    /// Generations are decimal counters that only grow (see ``CacheScript``).
    private static func isNewer(_ candidate: String, than current: String?) -> Bool {
        guard let current else { return true }
        guard let new = Int64(candidate), let old = Int64(current) else { return candidate != current }
        return new > old
    }
}
