import NIOConcurrencyHelpers

/// Claims of tokens whose signature has been verified, keyed by the exact token text.
///
/// Safe because a signature check depends only on the token and the key, and the key never changes while the
/// process runs; expiry is still checked on every use. Bounded: when full it starts afresh, which costs one
/// re-verification per active token and keeps memory flat.
final class VerifiedTokenCache: Sendable {
    private let entries = NIOLockedValueBox<[String: SessionClaims]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func claims(for token: String) -> SessionClaims? {
        entries.withLockedValue { $0[token] }
    }

    func remember(_ token: String, _ claims: SessionClaims) {
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
    }
}
