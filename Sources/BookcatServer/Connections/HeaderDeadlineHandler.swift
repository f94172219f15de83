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
    /// When the first byte of the head being awaited arrived; nil until one has.
    private var headStartedAt: NIODeadline?
    /// At most one per connection, and not one per request: scheduling and cancelling a timer for every request
    /// was about 2% of a cache hit's CPU. When it fires it checks the head being awaited then, if any.
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
            headStartedAt = nil
        case .body:
            break
        case .end:
            awaitingHead = true
        }
        context.fireChannelRead(data)
    }

    /// Called by the watcher for every read of raw bytes.
    fileprivate func bytesArrived(_ context: ChannelHandlerContext) {
        guard awaitingHead, headStartedAt == nil else { return }
        let now = context.eventLoop.now
        headStartedAt = now
        if timer == nil { schedule(at: now + deadline, context: context) }
    }

    private func schedule(at time: NIODeadline, context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: time) { [self] in
            timer = nil
            // The head that started the clock may long be done; only the one awaited now counts.
            guard let started = headStartedAt else { return }
            if context.eventLoop.now < started + deadline {
                schedule(at: started + deadline, context: context)
                return
            }
            logger.info(
                "closing a connection whose request headers took longer than \(deadline.nanoseconds / 1_000_000_000) s",
                metadata: ["peer": "\(context.channel.remoteAddress?.description ?? "?")"]
            )
            context.close(promise: nil)
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
