import NIOCore
import NIOPosix

extension Array where Element == any EventLoop {
    /// Where the event loop running the caller stands among these loops; nil when the caller runs on none of them.
    /// Connections and shared reads are kept per loop, so a caller on a loop stays on its own thread.
    var indexOfCurrentLoop: Int? {
        guard let current = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
        return firstIndex { $0 === current }
    }
}
