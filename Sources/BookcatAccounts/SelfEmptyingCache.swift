import NIOConcurrencyHelpers

/// A cache of what this process has learned and may look up again, by key; safe to share between requests.
///
/// Bounded by emptying itself: when full it starts afresh, which costs one recomputation per key still in use and
/// keeps memory flat.
public final class SelfEmptyingCache<Value: Sendable>: Sendable {
    private let entries = NIOLockedValueBox<[String: Value]>([:])
    private let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    public subscript(key: String) -> Value? {
        entries.withLockedValue { $0[key] }
    }

    /// Remembers `value` under `key`; nil forgets the key.
    public func remember(_ value: Value?, for key: String) {
        entries.withLockedValue { entries in
            if value != nil, entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }
}
