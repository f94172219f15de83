import HummingbirdCore
import Logging

/// Caps open connections: beyond `limit`, the server stops accepting until one closes, and new clients wait in the
/// listen backlog (then are refused by the kernel) instead of each costing the server memory and a task.
///
/// Says so in the log each time the cap is reached, since a full server otherwise just looks slow.
struct ConnectionCap: AvailableConnectionsDelegate {
    let limit: Int
    let logger: Logger
    private var open = 0

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open == limit {
            logger.warning(
                "connection limit reached: \(limit) open; new connections wait until one closes (HTTP_MAX_CONNECTIONS)"
            )
        }
    }

    mutating func connectionClosed() {
        open -= 1
    }

    func isAcceptingNewConnections() -> Bool { open < limit }
}
