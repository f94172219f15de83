import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client takes too long over any part of a request: sending its head, sending its body,
/// or reading the response.
///
/// Hummingbird's idle timeout sees only whole request heads, restarts on every body part and pauses while a
/// response is being written, so a client could hold a connection (and a task) for as long as it liked by
/// trickling a header byte at a time (a "slowloris"), a body byte every 20 s, or by never reading what it asked
/// for (an audit kept 1,024 such sockets open for minutes and filled the connection cap). Three clocks, each with
/// its own limit:
/// - head: from the first byte of a request to its decoded head;
/// - body: from the head to the request's end, however the bytes are spread;
/// - response: from a response's head being written to its last byte reaching the socket, which a client that
///   stops reading never lets happen.
///
/// The head and body clocks run only while the server owes no answer to an earlier request on the connection.
/// A client may pipeline: while the server works through what it has read, it reads no further (NIOAsyncChannel's
/// back-pressure), so a head or body cut at the end of its last read waits on the server, not the client. (A CI run
/// on a loaded machine had 50 pipelined logins cut off at the head limit.) A client that never reads its answers
/// cannot use this to hold the connection: the response clock covers each owed answer.
///
/// The handler sits after the HTTP codec, where it sees request parts come in and response parts go out, and puts
/// a small companion at the very front of the pipeline, where it sees raw bytes: the first byte of a request head
/// starts that clock.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Limits: Sendable {
        var head: TimeAmount
        var body: TimeAmount
        var response: TimeAmount
    }

    private let limits: Limits
    private let logger: Logger
    /// Between requests: the next byte that arrives is the start of a request head.
    private var awaitingHead = true
    /// When the head being awaited started to count: its first byte, or the last owed answer if that came later;
    /// nil until then.
    private var headStartedAt: NIODeadline?
    /// Bytes of the awaited head have arrived, and its clock waits for the answers owed.
    private var headWaiting = false
    /// When the body being received started to count: its head, or the last answer owed before it if that came
    /// later; nil outside a body and while it waits.
    private var bodyStartedAt: NIODeadline?
    /// A body is being received, and its clock waits for the answers owed before it.
    private var bodyWaiting = false
    /// Requests whose head has been read and whose answer has not yet reached the socket.
    private var answersOwed = 0
    /// When each response still being written began, oldest first (pipelined requests can queue several; their
    /// writes complete in order).
    private var responsesStartedAt: [NIODeadline] = []
    /// At most one per connection, and not one per request: scheduling and cancelling a timer for every request
    /// was about 2% of a cache hit's CPU. When it fires it checks the clocks running then, and re-arms for the next.
    private var timer: Scheduled<Void>?
    private var timerDue: NIODeadline?

    init(limits: Limits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Both handlers live on the channel's event loop, so they share state without locks.
        try? context.pipeline.syncOperations.addHandler(FirstByteWatcher(owner: self, context: context), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        timerDue = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            awaitingHead = false
            headStartedAt = nil
            headWaiting = false
            if answersOwed == 0 {
                bodyStartedAt = context.eventLoop.now
                arm(context)
            } else {
                bodyWaiting = true
            }
            answersOwed += 1
        case .body:
            break
        case .end:
            awaitingHead = true
            bodyStartedAt = nil
            bodyWaiting = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind == .informational:
            // A 100 Continue comes before the answer's own head and has no end of its own.
            context.write(data, promise: promise)
        case .head:
            responsesStartedAt.append(context.eventLoop.now)
            arm(context)
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            // Done when the last byte is handed to the socket, not when it is queued: a client that does not read
            // leaves it queued.
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.assumeIsolated().whenComplete { [self] _ in
                if !responsesStartedAt.isEmpty { responsesStartedAt.removeFirst() }
                answered(context)
            }
            context.write(data, promise: written)
        }
    }

    /// Called by the watcher for every read of raw bytes.
    fileprivate func bytesArrived(_ context: ChannelHandlerContext) {
        guard awaitingHead, headStartedAt == nil, !headWaiting else { return }
        if answersOwed == 0 {
            headStartedAt = context.eventLoop.now
            arm(context)
        } else {
            headWaiting = true
        }
    }

    /// An answer reached the socket: a clock that waited for it starts now.
    private func answered(_ context: ChannelHandlerContext) {
        answersOwed = max(0, answersOwed - 1)
        // A body still coming is that of the newest request, owed an answer of its own unless it was answered early.
        if bodyWaiting, answersOwed <= 1 {
            bodyWaiting = false
            bodyStartedAt = context.eventLoop.now
            arm(context)
        }
        if headWaiting, answersOwed == 0 {
            headWaiting = false
            headStartedAt = context.eventLoop.now
            arm(context)
        }
    }

    /// The clock that runs out first, with what it measures.
    /// Runs on every request and response head, so it builds no array: the clocks are compared in place.
    private func earliestDue() -> (due: NIODeadline, what: String)? {
        var earliest: (due: NIODeadline, what: String)?
        func consider(_ started: NIODeadline?, _ limit: TimeAmount, _ what: String) {
            guard let started else { return }
            let due = started + limit
            if let current = earliest, current.due <= due { return }
            earliest = (due, what)
        }
        consider(headStartedAt, limits.head, "request headers")
        consider(bodyStartedAt, limits.body, "request body")
        consider(responsesStartedAt.first, limits.response, "response (the client is not reading)")
        return earliest
    }

    /// Makes sure the timer fires no later than the earliest clock's deadline.
    private func arm(_ context: ChannelHandlerContext) {
        guard let next = earliestDue() else { return }
        if let timerDue, timerDue <= next.due { return }
        timer?.cancel()
        timerDue = next.due
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: next.due) { [self] in
            timer = nil
            timerDue = nil
            guard let next = earliestDue() else { return }
            guard context.eventLoop.now >= next.due else {
                arm(context)
                return
            }
            logger.info(
                "closing a connection: its \(next.what) took longer than the limit",
                metadata: ["peer": "\(context.channel.remoteAddress?.description ?? "?")"]
            )
            context.close(promise: nil)
        }
    }
}

/// Sees raw bytes before the HTTP decoder does, and tells its ``RequestDeadlineHandler`` they came.
private final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let owner: RequestDeadlineHandler
    private let ownerContext: ChannelHandlerContext

    init(owner: RequestDeadlineHandler, context: ChannelHandlerContext) {
        self.owner = owner
        self.ownerContext = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.bytesArrived(ownerContext)
        context.fireChannelRead(data)
    }
}
