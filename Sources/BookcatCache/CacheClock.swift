/// The monotonic time the cache's promise is counted in: leases and their renewals, a writer's wait for readers, the
/// store's coverage. The service runs on `ContinuousClock`; tests pass a clock they move by hand, so they prove that
/// a write waits exactly one lease without sleeping through it.
///
/// Any `Clock` whose instants are `ContinuousClock`'s will do; this holds one without making every cache type generic.
public struct CacheClock: Sendable {
    public typealias Instant = ContinuousClock.Instant

    private let read: @Sendable () -> Instant
    private let wait: @Sendable (Instant) async throws -> Void

    public init<Source: Clock & Sendable>(_ clock: Source) where Source.Instant == ContinuousClock.Instant {
        read = { clock.now }
        wait = { try await clock.sleep(until: $0, tolerance: nil) }
    }

    public var now: Instant { read() }

    /// Returns at `deadline`, or throws `CancellationError` when the task is cancelled before it.
    public func sleep(until deadline: Instant) async throws {
        try await wait(deadline)
    }

    public func sleep(for duration: Duration) async throws {
        try await wait(now + duration)
    }

    public static let continuous = CacheClock(ContinuousClock())
}
