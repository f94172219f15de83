/// Repeats `attempt` until `done` accepts its result or `timeout` passes, and returns the last result; the caller
/// asserts on it. For conditions that become true asynchronously (a restarted server, a background service).
public func eventually<Value>(
    timeout: Duration = .seconds(5),
    _ attempt: () async throws -> Value,
    until done: (Value) -> Bool
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        let value = try await attempt()
        if done(value) || ContinuousClock.now > deadline { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
}
