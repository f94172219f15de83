import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client started a request but has not finished sending its headers in time.
///
/// Hummingbird's idle timeout only sees whole request heads, so a client trickling a header byte at a time (a
/// "slowloris") would hold the connection, and a task, for as long as it liked. This handler sits after the HTTP
/// decoder, where it sees each request head arrive, and puts a small companion at the very front of the pipeline,
/// where it sees raw bytes: the first byte of a request starts the clock, the decoded head stops it.
final class HeaderDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let deadline: TimeAmount
    private let logger: Logger
    /// Between requests: the next byte that arrives is the start of a request head.
    private var awaitingHead = true
    private var timer: Scheduled<Void>?

    init(deadline: TimeAmount, logger: Logger) {
        self.deadline = deadline
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Both handlers live on the channel's event loop, so they share state without locks.
        try? context.pipeline.syncOperations.addHandler(FirstByteWatcher(owner: self, context: context), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            awaitingHead = false
            timer?.cancel()
            timer = nil
        case .body:
            break
        case .end:
            awaitingHead = true
        }
        context.fireChannelRead(data)
    }

    /// Called by the watcher for every read of raw bytes.
    fileprivate func bytesArrived(_ context: ChannelHandlerContext) {
        guard awaitingHead, timer == nil else { return }
        let channel = context.channel
        let logger = logger
        let seconds = deadline.nanoseconds / 1_000_000_000
        timer = context.eventLoop.scheduleTask(in: deadline) {
            logger.info(
                "closing a connection whose request headers took longer than \(seconds) s",
                metadata: ["peer": "\(channel.remoteAddress?.description ?? "?")"]
            )
            channel.close(promise: nil)
        }
    }
}

/// Sees raw bytes before the HTTP decoder does, and tells its ``HeaderDeadlineHandler`` they came.
private final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let owner: HeaderDeadlineHandler
    private let ownerContext: ChannelHandlerContext

    init(owner: HeaderDeadlineHandler, context: ChannelHandlerContext) {
        self.owner = owner
        self.ownerContext = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.bytesArrived(ownerContext)
        context.fireChannelRead(data)
    }
}
