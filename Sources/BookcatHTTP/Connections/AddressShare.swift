import Logging
import NIOConcurrencyHelpers
import NIOCore

/// How many of the server's connections one client address may hold at once.
///
/// The connection cap (``ConnectionCap``) is global: an audit filled all 1,024 slots from one address with sockets
/// that never finished a request, and a health check from elsewhere waited 70 s. With a share per address, one
/// client can hold only its share, and a connection beyond it is closed as soon as it is accepted.
///
/// Behind a proxy every connection comes from the proxy's address, so the share does not apply when the service is
/// told to trust `X-Forwarded-For` (the proxy is then the one to limit its clients).
final class AddressShare: Sendable {
    let limit: Int
    private let open = NIOLockedValueBox<[String: Int]>([:])
    private let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// Takes a slot for `address`; false, taking nothing, when the address already holds its share.
    func take(_ address: String) -> Bool {
        let taken = open.withLockedValue { open in
            let count = open[address, default: 0]
            guard count < limit else { return false }
            open[address] = count + 1
            return true
        }
        if !taken {
            logger.warning(
                "closing a connection: its address already holds \(limit) (HTTP_MAX_CONNECTIONS_PER_ADDRESS)",
                metadata: ["peer": "\(address)"]
            )
        }
        return taken
    }

    func release(_ address: String) {
        open.withLockedValue { open in
            let count = open[address, default: 1] - 1
            open[address] = count > 0 ? count : nil
        }
    }

    /// The handler that holds one connection's slot for as long as the connection is open.
    func handler() -> some RemovableChannelHandler { Holder(share: self) }

    /// In each connection's pipeline: takes a slot when added (the socket is connected by then) and gives it back
    /// when the pipeline is torn down; a connection that got none is closed as soon as it is active.
    private final class Holder: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        let share: AddressShare
        /// The address whose slot this connection holds; nil when it holds none.
        var holding: String?
        var refused = false

        init(share: AddressShare) {
            self.share = share
        }

        func handlerAdded(context: ChannelHandlerContext) {
            // The IP without the port: one client opens many connections from many ports.
            guard let address = context.channel.remoteAddress?.ipAddress else { return }
            if share.take(address) {
                holding = address
            } else {
                refused = true
                if context.channel.isActive { context.close(promise: nil) }
            }
        }

        func channelActive(context: ChannelHandlerContext) {
            if refused {
                context.close(promise: nil)
                return
            }
            context.fireChannelActive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if let holding { share.release(holding) }
            holding = nil
        }
    }
}
