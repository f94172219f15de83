import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on a free loopback port in front of `target`, which a test can cut: every connection through it is
/// closed and new ones are closed as soon as they arrive, until it is restored. It stands for a network between one
/// process and its Redis that fails while the other processes still reach that Redis (a partial partition).
public final class TCPProxy: Sendable {
    public let port: Int
    private let channel: any Channel
    private let state: State

    private final class State: Sendable {
        struct Inner {
            var isCut = false
            var open: [ObjectIdentifier: any Channel] = [:]
        }
        let inner = NIOLockedValueBox(Inner())
    }

    /// Starts forwarding connections on a free loopback port to `targetPort` on 127.0.0.1.
    public static func start(toPort targetPort: Int) async throws -> TCPProxy {
        let state = State()
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let admitted = state.inner.withLockedValue { inner -> Bool in
                    guard !inner.isCut else { return false }
                    inner.open[ObjectIdentifier(inbound)] = inbound
                    return true
                }
                guard admitted else { return inbound.close() }
                inbound.closeFuture.whenComplete { _ in
                    _ = state.inner.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(inbound)) }
                }
                // Reads wait until the outbound leg is up; then each side writes what the other reads.
                _ = inbound.setOption(.autoRead, value: false)
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        let tracked = state.inner.withLockedValue { inner -> Bool in
                            guard !inner.isCut else { return false }
                            inner.open[ObjectIdentifier(outbound)] = outbound
                            return true
                        }
                        guard tracked else {
                            outbound.close(promise: nil)
                            return inbound.close()
                        }
                        outbound.closeFuture.whenComplete { _ in
                            _ = state.inner.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(outbound)) }
                        }
                        return outbound.pipeline.addHandler(Relay(to: inbound))
                            .flatMap { inbound.pipeline.addHandler(Relay(to: outbound)) }
                            .flatMap { inbound.setOption(.autoRead, value: true) }
                    }
                    .flatMapError { _ in inbound.close() }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = server.localAddress?.port else { throw ProxyError.noPort }
        return TCPProxy(port: port, channel: server, state: state)
    }

    private init(port: Int, channel: any Channel, state: State) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    /// Closes every connection through the proxy and refuses new ones until ``restore()``.
    public func cut() {
        let open = state.inner.withLockedValue { inner in
            inner.isCut = true
            defer { inner.open = [:] }
            return Array(inner.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    public func restore() {
        state.inner.withLockedValue { $0.isCut = false }
    }

    public func stop() async {
        cut()
        try? await channel.close()
    }

    public enum ProxyError: Error { case noPort }
}

/// Writes what its channel reads to `peer`, and closes `peer` when its channel closes.
private final class Relay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let peer: any Channel

    init(to peer: any Channel) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
