import Foundation
import Logging
import UnixSignals

/// The promise `HTTP_DRAIN_TIMEOUT` makes, kept whatever still runs: when it has passed since the first SIGTERM or
/// SIGINT, the service group cancels what runs; work that does not heed cancellation (a password check already on
/// its thread, a query the database is still computing) could hold the process for tens of seconds more, and a
/// container runtime would kill it with no word. A second after the drain timeout (the default 8 s and this stay
/// under Docker's 10), this ends the process itself, saying why.
enum DrainDeadline {
    static let afterCancellation = Duration.seconds(1)

    /// Watches for the stop signals for as long as the returned task runs; cancel it once the service group returned.
    static func watch(drainTimeout: Duration, logger: Logger) -> Task<Void, Never> {
        Task {
            let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
            for await signal in signals {
                try? await Task.sleep(for: drainTimeout + afterCancellation)
                if Task.isCancelled { return }
                logger.error(
                    "requests were still running \(afterCancellation) after HTTP_DRAIN_TIMEOUT (\(drainTimeout)) since \(signal); exiting with status 1"
                )
                exit(1)
            }
        }
    }
}
