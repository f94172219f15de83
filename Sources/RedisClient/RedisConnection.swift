import NIOCore
import NIOPosix

/// One TCP connection to Redis. Commands may be sent concurrently; they are pipelined.
final class RedisConnection: Sendable {
    let channel: any Channel
    /// The server it reaches: with Sentinel, the primary as the sentinels named it when it opened.
    let address: RedisAddress

    private init(channel: any Channel, address: RedisAddress) {
        self.channel = channel
        self.address = address
    }

    var isActive: Bool { channel.isActive }

    /// Connects to the primary (the configured server, or the one the sentinels name), then authenticates and
    /// selects the database if the configuration asks for it. With Sentinel, also checks that the server is the
    /// primary: a sentinel that has not yet seen a failover may name the old one.
    static func connect(
        to configuration: RedisConfiguration,
        group: any EventLoopGroup
    ) async throws -> RedisConnection {
        let address = try await configuration.primaryAddress(group: group)
        let connection = try await open(address, timeout: configuration.connectTimeout, group: group)
        do {
            if let password = configuration.password {
                _ = try await connection.send(["AUTH", RedisArgument(password)], timeout: configuration.connectTimeout).checked()
            }
            if configuration.database != 0 {
                _ = try await connection.send(["SELECT", RedisArgument(configuration.database)], timeout: configuration.connectTimeout).checked()
            }
            if configuration.sentinel != nil {
                let role = try await connection.send(["ROLE"], timeout: configuration.connectTimeout).checked()
                guard case .array(let fields) = role, fields.first?.string == "master" else {
                    throw RedisError.connectFailed("\(address) is not the primary (ROLE: \(role)); a failover is under way")
                }
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// A plain connection to `address`, with nothing sent yet.
    static func open(_ address: RedisAddress, timeout: Duration, group: any EventLoopGroup) async throws(RedisError) -> RedisConnection {
        RedisConnection(channel: try await openChannel(to: address, timeout: timeout, group: group) { RedisProtocolHandler() }, address: address)
    }

    /// A TCP connection to Redis whose pipeline holds the one handler `makeHandler` builds.
    static func openChannel(
        to address: RedisAddress,
        timeout: Duration,
        group: any EventLoopGroup,
        makeHandler: @escaping @Sendable () -> some ChannelHandler
    ) async throws(RedisError) -> any Channel {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.init(timeout))
                // TCP_NODELAY is an IPPROTO_TCP option. As a SOL_SOCKET option its number is SO_DEBUG, which only
                // privileged root may set: that mistake kept every unprivileged process (and every container) off Redis.
                .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(makeHandler())
                    }
                }
                .connect(host: address.host, port: address.port)
                .get()
        } catch {
            throw RedisError.connectFailed("\(address): \(error)")
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
