import BookcatCore
import Logging
import ServiceLifecycle

/// Deletes the refresh tokens that can never work again (expired or revoked), every `interval`, in batches, so
/// logins and logouts leave no rows behind for good. A session's used tokens are bounded by its rotations
/// (``RefreshTokenRepository/usedTokensKept``); this bounds the rest. Several processes may sweep the same store:
/// each batch is its own transaction, and a row deleted twice is deleted once.
struct RefreshTokenSweeper: Service {
    let tokens: any RefreshTokenRepository
    let clock: WallClock
    let logger: Logger
    var interval: Duration = .seconds(600)
    /// Rows per transaction: a sweep of a large backlog never holds the writer for long.
    var batch = 1_000

    func run() async throws {
        while true {
            // The first sweep waits too: at start PostgreSQL's migrations may still be running.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await sweep()
        }
    }

    /// Deletes every dead token, a batch at a time; returns how many.
    @discardableResult
    func sweep() async -> Int {
        var deleted = 0
        do {
            while true {
                let count = try await tokens.purge(now: clock.now(), limit: batch)
                deleted += count
                if count < batch { break }
            }
        } catch {
            logger.warning("refresh tokens: the sweep failed; the next one tries again", metadata: ["error": "\(error)"])
        }
        if deleted > 0 { logger.info("refresh tokens: deleted \(deleted) expired or revoked") }
        return deleted
    }
}
