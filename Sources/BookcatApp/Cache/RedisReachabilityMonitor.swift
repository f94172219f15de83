import Logging
import RedisClient
import ServiceLifecycle

/// Watches whether Redis answers and says so in the log, so a cache that cannot connect is never silent.
///
/// Without it, an unreachable Redis shows only as `X-Cache: ERROR` on each response (which is logged at debug
/// level): the service keeps working from the database and nobody notices that the cache is gone. While Redis does
/// not answer this logs a warning naming the cause, repeated with exponential backoff; once it answers again it says
/// so, then checks every `healthyInterval`.
struct RedisReachabilityMonitor: Service {
    let client: RedisClient
    let logger: Logger
    var firstRetry: Duration = .seconds(1)
    var maximumRetry: Duration = .seconds(60)
    var healthyInterval: Duration = .seconds(15)

    func run() async throws {
        var retry = firstRetry
        var wasReachable: Bool?
        while true {
            let pause: Duration
            do {
                try await client.probe()
                if wasReachable != true {
                    logger.notice("\(client.configuration.endpointDescription) answers: responses are cached")
                }
                wasReachable = true
                retry = firstRetry
                pause = healthyInterval
            } catch {
                logger.warning(
                    """
                    Redis is unreachable or cannot be used as configured, so responses are not cached (health reports "degraded"); retrying in \(retry)
                    """,
                    metadata: ["cause": "\(client.describeFailure(error))"]
                )
                wasReachable = false
                pause = retry
                retry = min(retry * 2, maximumRetry)
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
        }
    }
}
