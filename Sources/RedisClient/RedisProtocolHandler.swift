import NIOCore

/// Commands on their way to Redis in one write, with the promise their replies complete, in order.
struct RedisRequest {
    var encoded: [UInt8]
    var commandCount: Int
    var promise: EventLoopPromise<[RESPValue]>
    /// How long the replies may take. The deadline is armed on the event loop as the commands are written, so a
    /// caller on another thread hands the loop one task per command batch, not one for the write, one to arm the
    /// timer and one to cancel it.
    var timeout: TimeAmount
}

/// Speaks RESP on a NIO channel: hiredis encodes commands and decodes replies, NIO owns the socket.
///
/// Replies arrive in the order commands were written, so pending batches form a queue; several may be in flight
/// at once (pipelining). A batch that outlives its timeout fails and closes the connection, because its late
/// replies would otherwise be taken for the answers to the commands after it. When the channel fails or closes,
/// every pending batch fails with it.
final class RedisProtocolHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Batch {
        var expected: Int
        var replies: [RESPValue]
        var promise: EventLoopPromise<[RESPValue]>
        var deadline: Scheduled<Void>
    }

    private let decoder = RedisReplyDecoder()
    private var pending = CircularBuffer<Batch>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        let channel = context.channel
        let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) {
            request.promise.fail(RedisError.timeout)
            channel.close(promise: nil)
        }
        var replies: [RESPValue] = []
        replies.reserveCapacity(request.commandCount)
        pending.append(Batch(expected: request.commandCount, replies: replies, promise: request.promise, deadline: deadline))
        let buffer = context.channel.allocator.buffer(bytes: request.encoded)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try decoder.feed(bytes) }
            while let reply = try decoder.next() {
                guard !pending.isEmpty else { throw RedisError.protocolError("a reply arrived for no command") }
                pending[pending.startIndex].replies.append(reply)
                if pending[pending.startIndex].replies.count == pending[pending.startIndex].expected {
                    let batch = pending.removeFirst()
                    batch.deadline.cancel()
                    batch.promise.succeed(batch.replies)
                }
            }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        while let batch = pending.popFirst() {
            batch.deadline.cancel()
            batch.promise.fail(error)
        }
    }
}
