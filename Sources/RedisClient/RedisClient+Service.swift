import ServiceLifecycle

/// The client as a lifecycle service: registered with the application's services, it closes its connections on
/// graceful shutdown. It is registered first, so it stops last: after the server has drained its requests and the
/// services that use Redis (the cache lease, the reachability monitor) have stopped.
extension RedisClient: Service {
    public func run() async throws {
        // Cancellation ends the wait too; either way the connections are closed before `run` returns.
        try? await gracefulShutdown()
        await shutdown()
    }
}
