import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A connection subscribed to Redis pub/sub channels, delivering what is published on them in order.
///
/// A subscribed connection can carry nothing else, so it is its own connection, outside the pool. Messages
/// published while it was not connected are not delivered: `messages` ends when the connection closes, and
/// whoever relies on the messages must treat that as having missed some.
public final class RedisSubscription: Sendable {
    public struct Message: Sendable, Equatable {
        public var channel: String
        public var payload: [UInt8]
    }

    /// Every message, in the order Redis published them; finishes when the connection closes.
    public let messages: AsyncStream<Message>
    private let channel: any Channel

    private init(messages: AsyncStream<Message>, channel: any Channel) {
        self.messages = messages
        self.channel = channel
    }

    /// Connects (authenticating and selecting the database as configured) and returns once Redis has confirmed the
    /// subscription to every one of `channels`, or throws if that takes longer than the connect timeout.
    public static func subscribe(
        to channels: [String],
        configuration: RedisConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(RedisError) -> RedisSubscription {
        precondition(!channels.isEmpty, "subscribe to at least one channel")
        var setup = configuration.handshake
        setup.append(["SUBSCRIBE"] + channels.map { RedisArgument($0) })
        // One reply per setup command, and one confirmation per channel for SUBSCRIBE.
        let expectedReplies = setup.count - 1 + channels.count

        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let (messages, continuation) = AsyncStream.makeStream(of: Message.self)
        let channel: any Channel
        do {
            channel = try await openChannel(configuration: configuration, loop: loop) {
                RedisSubscriptionHandler(setupReplies: expectedReplies, ready: ready, messages: continuation)
            }
        } catch {
            // Every promise must be completed, also when no handler ever held it.
            ready.fail(error)
            continuation.finish()
            throw error
        }
        // Both run on `loop`, which completes `ready`: a subscription that was set up in time is never closed by the
        // deadline, however late the awaiting task resumes.
        let setUp = NIOLockedValueBox(false)
        ready.futureResult.whenSuccess { setUp.withLockedValue { $0 = true } }
        let deadline = loop.scheduleTask(in: .init(configuration.connectTimeout)) {
            guard !setUp.withLockedValue({ $0 }) else { return }
            ready.fail(RedisError.timeout)
            channel.close(promise: nil)
        }
        let encoded = setup.flatMap { RedisCommandEncoder.encode($0.map(\.bytes)) }
        channel.writeAndFlush(channel.allocator.buffer(bytes: encoded)).whenFailure { ready.fail($0) }
        do {
            try await ready.futureResult.get()
            deadline.cancel()
        } catch {
            deadline.cancel()
            channel.close(promise: nil)
            throw (error as? RedisError) ?? .connectionClosed
        }
        return RedisSubscription(messages: messages, channel: channel)
    }

    public func close() {
        channel.close(promise: nil)
    }

    /// The primary (the configured one, or the one the sentinels name); on a cluster the first seed that accepts a
    /// connection, since every node delivers what is published on any (the cluster bus carries it).
    private static func openChannel(
        configuration: RedisConfiguration,
        loop: any EventLoop,
        makeHandler: @escaping @Sendable () -> some ChannelHandler
    ) async throws(RedisError) -> any Channel {
        guard let cluster = configuration.cluster else {
            let address = try await configuration.primaryAddress(group: loop)
            return try await RedisConnection.openChannel(
                to: address,
                tls: configuration.tls,
                timeout: configuration.connectTimeout,
                group: loop,
                makeHandler: makeHandler
            )
        }
        var failures: [String] = []
        for seed in cluster.seeds {
            do {
                return try await RedisConnection.openChannel(
                    to: cluster.addressMap[seed] ?? seed,
                    tls: configuration.tls,
                    timeout: configuration.connectTimeout,
                    group: loop,
                    makeHandler: makeHandler
                )
            } catch {
                failures.append("\(error)")
            }
        }
        throw .connectFailed("no cluster node to subscribe on: \(failures.joined(separator: "; "))")
    }
}

/// Reads a subscribed connection: first the replies to the set-up commands, then pushed messages.
private final class RedisSubscriptionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let decoder = RedisReplyDecoder()
    private var setupReplies: Int
    private let ready: EventLoopPromise<Void>
    private let messages: AsyncStream<RedisSubscription.Message>.Continuation

    init(setupReplies: Int, ready: EventLoopPromise<Void>, messages: AsyncStream<RedisSubscription.Message>.Continuation) {
        self.setupReplies = setupReplies
        self.ready = ready
        self.messages = messages
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try decoder.feed(bytes) }
            while let reply = try decoder.next() {
                if setupReplies > 0 {
                    if case .error(let message) = reply { throw RedisError.server(message) }
                    setupReplies -= 1
                    if setupReplies == 0 { ready.succeed() }
                    continue
                }
                // ["message", channel, payload]; anything else (a later confirmation) carries no message.
                if case .array(let parts) = reply, parts.count == 3, parts[0].string == "message",
                    let channel = parts[1].string, let payload = parts[2].bytes
                {
                    messages.yield(.init(channel: channel, payload: payload))
                }
            }
        } catch {
            ready.fail(error)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ready.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ready.fail(RedisError.connectionClosed)
        messages.finish()
        context.fireChannelInactive()
    }
}
