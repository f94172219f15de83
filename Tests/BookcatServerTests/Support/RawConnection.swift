import BookcatTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP connection to the server under test, for sending exactly the bytes a misbehaving client would:
/// half a request, a trickle, nothing at all.
///
/// Its waits end when what they wait for happens (bytes arrive, the connection closes), with a limit only for
/// when it never does: no polling, no sleeping.
struct RawConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<Received>

    /// What the server has sent so far, and who waits for what it will send.
    private struct Received {
        var text = ""
        var waiters: [(prefix: String, arrived: EventLoopPromise<Bool>)] = []
    }

    /// Connects to the server on 127.0.0.1:`port` from `source` (any loopback address: the server sees each as
    /// another client). A connection that is not `reading` reads nothing until ``startReading()``, with a small
    /// receive buffer, as a client that asks for responses and never reads them.
    static func open(port: Int, from source: String = "127.0.0.1", reading: Bool = true) async throws -> RawConnection {
        let received = NIOLockedValueBox(Received())
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received: received)) }
            }
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
        if !reading {
            bootstrap = bootstrap.channelOption(.autoRead, value: false).channelOption(.socketOption(.so_rcvbuf), value: 4_096)
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    /// Reads from now on, everything the server sent and sends.
    func startReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Everything the server has sent so far.
    var response: String { received.withLockedValue { $0.text } }

    var isOpen: Bool { channel.isActive }

    /// Whether the server closes the connection within `limit`.
    func closes(within limit: Duration) async throws -> Bool {
        try await firstOf(channel.closeFuture.map { true }, orFalseAfter: limit).get()
    }

    /// Whether what the server sent, or sends within `limit`, starts with `prefix`.
    func receives(_ prefix: String, within limit: Duration = answerLimit) async throws -> Bool {
        let arrived = channel.eventLoop.makePromise(of: Bool.self)
        let already = received.withLockedValue { state in
            if state.text.hasPrefix(prefix) { return true }
            state.waiters.append((prefix, arrived))
            return false
        }
        if already { arrived.succeed(true) }
        return try await firstOf(arrived.futureResult, orFalseAfter: limit).get()
    }

    /// Waits until the connection is closed (by either side) and returns everything the server sent.
    func untilClosed() async throws -> String {
        try await channel.closeFuture.get()
        return response
    }

    func close() async {
        try? await channel.close().get()
    }

    /// `future`'s value, or false once `limit` has passed without one.
    private func firstOf(_ future: EventLoopFuture<Bool>, orFalseAfter limit: Duration) -> EventLoopFuture<Bool> {
        let answer = channel.eventLoop.makePromise(of: Bool.self)
        let settled = NIOLockedValueBox(false)
        let settle: @Sendable (Bool) -> Void = { value in
            let first = settled.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { answer.succeed(value) }
        }
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(limit)) { settle(false) }
        future.whenComplete { result in
            timer.cancel()
            settle((try? result.get()) ?? false)
        }
        return answer.futureResult
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<Received>

        init(received: NIOLockedValueBox<Received>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            let satisfied = received.withLockedValue { state in
                state.text += text
                let (done, waiting) = state.waiters.partitioned { state.text.hasPrefix($0.prefix) }
                state.waiters = waiting
                return done
            }
            for waiter in satisfied { waiter.arrived.succeed(true) }
        }

        /// A closed connection will send nothing more: whoever still waits is answered no.
        func channelInactive(context: ChannelHandlerContext) {
            let waiting = received.withLockedValue { state in
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiting { waiter.arrived.succeed(false) }
            context.fireChannelInactive()
        }
    }
}

extension Array {
    /// The elements that match `belongs`, and those that do not, each in their original order.
    fileprivate func partitioned(by belongs: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = []
        var rest: [Element] = []
        for element in self {
            if belongs(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}
