import NIOCore

/// Commands on their way to Redis in one write, with the promises their replies complete, in order.
struct RedisRequest {
    var encoded: [UInt8]
    var promises: [EventLoopPromise<RESPValue>]
}

/// Speaks RESP on a NIO channel: hiredis encodes commands and decodes replies, NIO owns the socket.
///
/// Replies arrive in the order commands were written, so pending promises form a queue; several commands may be
/// in flight at once (pipelining). When the channel fails or closes, every pending command fails with it.
final class RedisProtocolHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private let decoder = RedisReplyDecoder()
    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(contentsOf: request.promises)
        let buffer = context.channel.allocator.buffer(bytes: request.encoded)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try decoder.feed(bytes) }
            while let reply = try decoder.next() {
                guard let promise = pending.popFirst() else {
                    throw RedisError.protocolError("a reply arrived for no command")
                }
                promise.succeed(reply)
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
        while let promise = pending.popFirst() {
            promise.fail(error)
        }
    }
}
