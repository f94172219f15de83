import NIOCore
import NIOPosix

/// One TCP connection to Redis. Commands may be sent concurrently; they are pipelined.
final class RedisConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    var isActive: Bool { channel.isActive }

    /// Connects, then authenticates and selects the database if the configuration asks for it.
    static func connect(
        to configuration: RedisConfiguration,
        group: any EventLoopGroup
    ) async throws -> RedisConnection {
        let channel = try await openChannel(to: configuration, group: group) { RedisProtocolHandler() }
        let connection = RedisConnection(channel: channel)
        do {
            if let password = configuration.password {
                _ = try await connection.send(["AUTH", RedisArgument(password)], timeout: configuration.connectTimeout).checked()
            }
            if configuration.database != 0 {
                _ = try await connection.send(["SELECT", RedisArgument(configuration.database)], timeout: configuration.connectTimeout).checked()
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// A TCP connection to Redis whose pipeline holds the one handler `makeHandler` builds.
    static func openChannel(
        to configuration: RedisConfiguration,
        group: any EventLoopGroup,
        makeHandler: @escaping @Sendable () -> some ChannelHandler
    ) async throws(RedisError) -> any Channel {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.init(configuration.connectTimeout))
                // TCP_NODELAY is an IPPROTO_TCP option. As a SOL_SOCKET option its number is SO_DEBUG, which only
                // privileged root may set: that mistake kept every unprivileged process (and every container) off Redis.
                .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(makeHandler())
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw RedisError.connectFailed("\(configuration.host):\(configuration.port): \(error)")
        }
    }

    /// Sends one command and waits at most `timeout` for its reply. On a timeout the connection is closed:
    /// the late reply would otherwise be taken for the answer to the next command.
    func send(_ arguments: [RedisArgument], timeout: Duration) async throws -> RESPValue {
        try await send(pipeline: [arguments], timeout: timeout)[0]
    }

    /// Sends several commands in one write (Redis answers them in order, in one round trip) and waits at most
    /// `timeout` for all replies.
    func send(pipeline commands: [[RedisArgument]], timeout: Duration) async throws -> [RESPValue] {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let encoded = commands.flatMap { RedisCommandEncoder.encode($0.map(\.bytes)) }
        // A write that fails before the handler holds the batch (the channel already closed) must fail it too; a
        // failure after that fails it twice, and a completed promise ignores the second.
        channel.writeAndFlush(RedisRequest(encoded: encoded, commandCount: commands.count, promise: promise, timeout: .init(timeout)))
            .whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

extension RESPValue {
    /// The reply, or the server's error reply thrown as ``RedisError/server(_:)``.
    public func checked() throws(RedisError) -> RESPValue {
        if case .error(let message) = self { throw .server(message) }
        return self
    }
}
