import BookcatTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP connection to the server under test, for sending exactly the bytes a misbehaving client would:
/// half a request, a trickle, nothing at all.
struct RawConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<String>

    static func open(port: Int) async throws -> RawConnection {
        let received = NIOLockedValueBox("")
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received: received)) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, received: received)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Everything the server has sent so far.
    var response: String { received.withLockedValue { $0 } }

    var isOpen: Bool { channel.isActive }

    /// Whether the server closes the connection within `limit`.
    func closes(within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !channel.isActive { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return !channel.isActive
    }

    /// Waits until the connection is closed (by either side) and returns everything the server sent.
    func untilClosed() async throws -> String {
        try await channel.closeFuture.get()
        return response
    }

    func close() async {
        try? await channel.close().get()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<String>

        init(received: NIOLockedValueBox<String>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            received.withLockedValue { $0 += text }
        }
    }
}
