import BookcatCore
import Foundation
import Synchronization

/// A wall clock that only moves when a test moves it, so expiry and grace windows are tested without sleeping.
public final class ManualWallClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    public var clock: WallClock { WallClock { [self] in now } }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}
