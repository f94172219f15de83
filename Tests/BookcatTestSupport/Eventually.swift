/// Repeats `attempt` until `done` accepts its result or `timeout` passes, and returns the last result; the caller
/// asserts on it. For conditions that become true asynchronously (a restarted server, a background service) and
/// announce it no other way.
///
/// The test suite's one poll. It asks again every 20 ms, and no result depends on that pause: a slow machine only
/// makes the wait longer, up to `timeout`. The default is generous (the whole suite beside a build on two cores
/// outran five seconds): a wait that succeeds ends as soon as it does, so only a failing test pays for it.
public func eventually<Value>(
    timeout: Duration = .seconds(30),
    _ attempt: () async throws -> Value,
    until done: (Value) -> Bool
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        let value = try await attempt()
        if done(value) || ContinuousClock.now > deadline { return value }
        try await Task.sleep(for: .milliseconds(20))
    }
}
