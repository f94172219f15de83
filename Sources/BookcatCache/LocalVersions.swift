import NIOConcurrencyHelpers

/// The cache generation and session epoch as this process knows them, until when it may act on them without
/// asking Redis (its lease, see ``CacheLease``), and until when Redis is known to cover the store's versions
/// (``StoreCoverage``), without which no hit is served from either tier.
///
/// Both only move forward while the process holds its subscription: a reply that was on its way while a newer
/// value arrived must not take the process back to the older one. When the subscription is lost, everything is
/// forgotten (``forgetAll()``), because a Redis that restarted may count from a different point.
final class LocalVersions: Sendable {
    struct Trusted: Sendable {
        var generation: String
        var sessionEpoch: Int64?
    }

    private struct State {
        var generation: Int64?
        /// `generation` as the text entry keys are made of, kept so a hit does not format it.
        var generationText: String?
        var sessionEpoch: Int64?
        /// The newest change counter whose announcement (and every one before it) this process has acted on, since
        /// its subscription began (the first renewal gives the count the earlier ones are covered from); nil before
        /// either.
        var changes: Int64?
        /// What the last renewal said the counter was: the lease holds only once `changes` has caught up with it,
        /// since an announcement can arrive after the renewal that followed it.
        var changesRequired: Int64 = .min
        var trustedUntil: CacheClock.Instant?
        /// Not forgotten with the rest: it says the store's versions were covered in Redis when a check began,
        /// which a lost subscription does not undo.
        var storeCoveredUntil: CacheClock.Instant?
        /// The store's in-place change head every change up to which Redis and this process's memory reflect
        /// (``BookcatCore/StoreVersions/bookChanges``); nil until learned. Kept when the subscription is lost: the
        /// memory is emptied then, and Redis keeps what it reflects.
        var bookChangesReflected: Int64?
    }

    private let state = NIOLockedValueBox(State())

    /// The newest session epoch learned, whether or not it may be trusted without asking.
    var sessionEpoch: Int64? { state.withLockedValue { $0.sessionEpoch } }

    /// The newest generation learned, whether or not it may be trusted without asking.
    var generation: String? { state.withLockedValue { $0.generationText } }

    /// The versions, if the lease still holds at `now` and the store's versions are covered.
    func trusted(at now: CacheClock.Instant) -> Trusted? {
        state.withLockedValue { state in
            guard let until = state.trustedUntil, now < until, let covered = state.storeCoveredUntil, now < covered,
                let generation = state.generationText, let changes = state.changes, changes >= state.changesRequired
            else { return nil }
            return Trusted(generation: generation, sessionEpoch: state.sessionEpoch)
        }
    }

    /// Moves to `generation` (a decimal counter, see ``CacheScript``) and `sessionEpoch` where they are newer.
    func learn(generation text: String, sessionEpoch: Int64? = nil) {
        state.withLockedValue { state in
            if let generation = Int64(text) {
                if state.generation.map({ generation > $0 }) ?? true {
                    state.generation = generation
                    state.generationText = text
                }
            } else if state.generationText != text {
                // Not one of ours (someone wrote the key by hand): follow it, but do not act on it unasked.
                state.generation = nil
                state.generationText = text
                state.trustedUntil = nil
            }
            if let sessionEpoch, state.sessionEpoch.map({ sessionEpoch > $0 }) ?? true {
                state.sessionEpoch = sessionEpoch
            }
        }
    }

    /// Lets hits act on the versions without asking Redis until `until`, once every change announced up to
    /// `changes` has been acted on.
    func trust(until: CacheClock.Instant, changes required: Int64) {
        state.withLockedValue { state in
            state.trustedUntil = until
            state.changesRequired = max(state.changesRequired, required)
        }
    }

    /// Every change announced up to `counter` has been acted on (see ``CacheLease``).
    func actedOn(changesThrough counter: Int64) {
        state.withLockedValue { state in
            state.changes = max(state.changes ?? counter, counter)
        }
    }

    /// The store's in-place change head that Redis and this process's memory reflect, if known.
    var bookChangesReflected: Int64? { state.withLockedValue { $0.bookChangesReflected } }

    /// Redis and this process's memory now reflect every in-place change up to `head`: all of them, or, given `start`
    /// (an announcement that reflects the changes after `start`), only if this process already reflected every one up
    /// to `start`.
    func reflect(bookChangesAfter start: Int64? = nil, through head: Int64) {
        state.withLockedValue { state in
            if let start {
                guard let reflected = state.bookChangesReflected, start <= reflected else { return }
            }
            state.bookChangesReflected = max(state.bookChangesReflected ?? head, head)
        }
    }

    /// Whether a coverage check that began less than its validity ago succeeded.
    func isStoreCovered(at now: CacheClock.Instant) -> Bool {
        state.withLockedValue { state in state.storeCoveredUntil.map { now < $0 } ?? false }
    }

    /// Lets hits rest on the store's versions being covered until `until`; never shortens what a later check gave.
    func coverStore(until: CacheClock.Instant) {
        state.withLockedValue { state in
            if state.storeCoveredUntil.map({ until > $0 }) ?? true { state.storeCoveredUntil = until }
        }
    }

    func distrust() {
        state.withLockedValue { $0.trustedUntil = nil }
    }

    /// Forgets the versions too; the next ones learned are taken as they come.
    func forgetAll() {
        state.withLockedValue { state in
            state = State(storeCoveredUntil: state.storeCoveredUntil, bookChangesReflected: state.bookChangesReflected)
        }
    }
}
