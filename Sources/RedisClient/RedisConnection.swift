import NIOConcurrencyHelpers
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

    /// Connects to the primary (the configured server, or the one the sentinels name), over TLS if configured, then
    /// authenticates and selects the database if the configuration asks for it. With Sentinel, also checks that the
    /// server is the primary: a sentinel that has not yet seen a failover may name the old one.
    static func connect(
        to configuration: RedisConfiguration,
        group: any EventLoopGroup
    ) async throws -> RedisConnection {
        let address = try await configuration.primaryAddress(group: group)
        let connection = try await open(address, tls: configuration.tls, timeout: configuration.connectTimeout, group: group)
        do {
            var setup = configuration.handshake
            if configuration.sentinel != nil { setup.append(["ROLE"]) }
            if !setup.isEmpty {
                let replies = try await connection.send(pipeline: setup, timeout: configuration.connectTimeout)
                for reply in replies { _ = try reply.checked() }
                if configuration.sentinel != nil, let role = replies.last {
                    guard case .array(let fields) = role, fields.first?.string == "master" else {
                        throw RedisError.connectFailed("\(address) is not the primary (ROLE: \(role)); a failover is under way")
                    }
                }
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// A connection to `address` (TLS established, if asked for), with nothing sent yet.
    static func open(
        _ address: RedisAddress,
        tls: RedisTLS?,
        timeout: Duration,
        group: any EventLoopGroup
    ) async throws(RedisError) -> RedisConnection {
        let channel = try await openChannel(to: address, tls: tls, timeout: timeout, group: group) { RedisProtocolHandler() }
        return RedisConnection(channel: channel, address: address)
    }

    /// A TCP connection to Redis whose pipeline holds the one handler `makeHandler` builds, behind TLS when `tls` is
    /// given. Returns once the TLS handshake is done (within `timeout` from the start), so a certificate that fails
    /// verification is a failure to connect that says why.
    static func openChannel(
        to address: RedisAddress,
        tls: RedisTLS?,
        timeout: Duration,
        group: any EventLoopGroup,
        makeHandler: @escaping @Sendable () -> some ChannelHandler
    ) async throws(RedisError) -> any Channel {
        let started = ContinuousClock.now
        // A setting TLS refuses is a configuration error, said before any connect; each attempt below makes its own.
        if let tls { _ = try tls.handler(for: address) }
        // One handshake per channel: a host name can resolve to several addresses, and the bootstrap sets up a channel
        // for each one it tries (Happy Eyeballs). Only the handshake of the channel that connected is awaited; a
        // shared one would be failed by an attempt that did not connect (`localhost` as ::1, refused).
        let handshakes = NIOLockedValueBox<[ObjectIdentifier: EventLoopFuture<Void>]>([:])
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.init(timeout))
                // TCP_NODELAY is an IPPROTO_TCP option. As a SOL_SOCKET option its number is SO_DEBUG, which only
                // privileged root may set: that mistake kept every unprivileged process (and every container) off Redis.
                .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handlers = channel.pipeline.syncOperations
                        if let tls {
                            let done = channel.eventLoop.makePromise(of: Void.self)
                            handshakes.withLockedValue { $0[ObjectIdentifier(channel)] = done.futureResult }
                            try handlers.addHandler(try tls.handler(for: address))
                            try handlers.addHandler(TLSHandshakeWaiter(done: done))
                        }
                        try handlers.addHandler(makeHandler())
                    }
                }
                .connect(host: address.host, port: address.port)
                .get()
        } catch {
            throw RedisError.connectFailed("\(address): \(error)")
        }
        guard tls != nil else { return channel }
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        if let done = handshakes.withLockedValue({ $0[ObjectIdentifier(channel)] }) {
            done.cascade(to: handshake)
        } else {
            handshake.fail(RedisError.connectionClosed)
        }
        let deadline = channel.eventLoop.scheduleTask(deadline: .now() + .init(timeout - (ContinuousClock.now - started))) {
            handshake.fail(RedisError.timeout)
        }
        do {
            try await handshake.futureResult.get()
            deadline.cancel()
            return channel
        } catch {
            deadline.cancel()
            channel.close(promise: nil)
            throw RedisError.connectFailed("TLS handshake with \(address) failed: \(Self.explain(error))")
        }
    }

    /// The handshake's failure in an operator's words first, then as NIOSSL reports it.
    private static func explain(_ error: any Error) -> String {
        let detail = "\(error)"
        let reason =
            if detail.contains("CERTIFICATE_VERIFY_FAILED") || detail.contains("certificate verify failed") {
                "the server's certificate is not signed by a trusted CA, or has expired (REDIS_TLS_CA_FILE names the CA to trust)"
            } else if detail.contains("failedToValidateHostname") {
                "the server's certificate does not name the host connected to"
            } else if detail.contains("WRONG_VERSION_NUMBER") || detail.contains("PACKET_LENGTH_TOO_LONG") || detail.contains("HTTP_REQUEST") {
                "the server does not speak TLS on this port (use redis:// for a plain-text port)"
            } else if case RedisError.timeout = error {
                "no answer in time"
            } else if case RedisError.connectionClosed = error {
                "the server closed the connection (does it require a client certificate, REDIS_TLS_CERT_FILE?)"
            } else {
                "refused"
            }
        return "\(reason): \(detail)"
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
