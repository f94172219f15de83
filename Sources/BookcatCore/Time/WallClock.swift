import Foundation

/// Where the service reads the calendar time from: token lifetimes, the refresh-token grace window, login
/// throttle windows, loan dates.
///
/// A value rather than `Date()` at each use, so tests can move time instead of sleeping through it; the running
/// service always uses ``system``. (swift-clocks covers `Clock` instants, but these are wall-clock dates that are
/// stored and signed, so they need a `Date`.)
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    public func now() -> Date { read() }

    public static let system = WallClock { Date() }
}
