import BookcatCore
import Synchronization

/// The highest store versions this process's own commits have read: what ``PostgresDatabase`` answers for
/// `versionsCoveringOwnWrites` without another read. Grouped transactions (``PostgresGroupCommit``) and book
/// creations (``PostgresBookCreations``) commit on their own connections and can end in either order, so each
/// counter keeps the highest value any of them saw; every counter only grows.
final class CommittedVersions: Sendable {
    private let kept = Mutex<StoreVersions?>(nil)

    /// The versions, once any commit of this process has read them.
    var current: StoreVersions? {
        kept.withLock { $0 }
    }

    /// Keeps `versions`, read by a transaction of this process after its writes and before its commit.
    func note(_ versions: StoreVersions) {
        kept.withLock { kept in
            guard let previous = kept else {
                kept = versions
                return
            }
            kept = StoreVersions(
                catalog: max(previous.catalog, versions.catalog),
                sessions: max(previous.sessions, versions.sessions),
                bookChanges: max(previous.bookChanges, versions.bookChanges)
            )
        }
    }
}
