import BookcatCore
import NIOConcurrencyHelpers

/// Bodies this process has served lately, kept in its own memory for one cache generation: the tier in front of
/// Redis.
///
/// It never decides on its own that a body is current. ``RedisResponseCache`` serves an entry from here only under
/// the generation this process holds current: confirmed by a round trip to Redis sent after the request arrived,
/// or, while the process holds its ``CacheLease``, by the lease (a write waits until every leased reader has
/// learned its generation before it answers). A body from before a write any process has answered is never served.
///
/// Only the newest generation's entries are kept: learning a newer one drops the rest. Within a generation, entries
/// are evicted oldest first once `capacityBytes` is reached, which costs a hot page one read from Redis.
final class NearCache: Sendable {
    private struct State {
        var generation: String?
        var entries: [String: CachedBody] = [:]
        /// Keys in the order they were stored; `evicted` of them are gone already.
        var order: [String] = []
        var evicted = 0
        var bytes = 0
    }

    let capacityBytes: Int
    private let state = NIOLockedValueBox(State())

    /// `capacityBytes` 0 turns the tier off.
    init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    var isEnabled: Bool { capacityBytes > 0 }

    /// The body stored for `key` under exactly `generation`, if any.
    func body(for key: String, generation: String) -> CachedBody? {
        guard isEnabled else { return nil }
        return state.withLockedValue { state in
            state.generation == generation ? state.entries[key] : nil
        }
    }

    /// Keeps `body` for `key` under `generation`. A newer generation drops everything stored under older ones; a
    /// body for an older generation than the newest seen is not kept (no request could be served it).
    func store(_ body: CachedBody, for key: String, generation: String) {
        let size = Self.size(of: body, key: key)
        // One entry may not push out most of the others.
        guard isEnabled, size <= capacityBytes / 4 else { return }
        state.withLockedValue { state in
            if state.generation != generation {
                guard Self.isNewer(generation, than: state.generation) else { return }
                state = State(generation: generation)
            }
            if let replaced = state.entries.updateValue(body, forKey: key) {
                state.bytes -= Self.size(of: replaced, key: key)
            } else {
                state.order.append(key)
            }
            state.bytes += size
            while state.bytes > capacityBytes, state.evicted < state.order.count {
                let oldest = state.order[state.evicted]
                state.evicted += 1
                if oldest == key {
                    // Just stored again: it is the newest now.
                    state.order.append(key)
                } else if let removed = state.entries.removeValue(forKey: oldest) {
                    state.bytes -= Self.size(of: removed, key: oldest)
                }
            }
            // Drop the evicted prefix of the order once it is most of the array, so it stays bounded.
            if state.evicted > 64, state.evicted * 2 > state.order.count {
                state.order.removeFirst(state.evicted)
                state.evicted = 0
            }
        }
    }

    /// Drops every entry and forgets the generation, so the next one stored is taken whatever its number.
    func removeAll() {
        state.withLockedValue { $0 = State() }
    }

    /// Bytes the entries hold now (bodies, tags and keys).
    var storedBytes: Int { state.withLockedValue { $0.bytes } }

    /// What one entry is charged: its body, its tag and its key, plus a fixed allowance for the bookkeeping.
    private static func size(of body: CachedBody, key: String) -> Int {
        body.bytes.count + body.etag.utf8.count + key.utf8.count + 64
    }

    /// Generations are decimal counters that only grow (see ``CacheScript``).
    private static func isNewer(_ candidate: String, than current: String?) -> Bool {
        guard let current else { return true }
        guard let new = Int64(candidate), let old = Int64(current) else { return candidate != current }
        return new > old
    }
}
