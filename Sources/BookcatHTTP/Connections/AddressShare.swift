import Logging
import NIOConcurrencyHelpers
import NIOCore

/// How many of the server's connections one client address may hold at once.
///
/// The connection cap (``ConnectionCap``) is global: an audit filled all 1,024 slots from one address with sockets
/// that never finished a request, and a health check from elsewhere waited 70 s. With a share per address, one
/// client can hold only its share, and a connection beyond it is closed as soon as it is accepted.
///
/// The shares alone do not keep the total for others: nine addresses of 128 filled all 1,024 slots, and a tenth
/// address's health checks waited in the backlog. So the last eighth of the cap (``reserve``) is kept for addresses
/// that hold almost nothing yet (fewer than ``newcomerShare``): a newcomer, a health check, an operator's curl.
///
/// Behind a proxy every connection comes from the proxy's address, so the share does not apply when the service is
/// told to trust `X-Forwarded-For` (the proxy is then the one to limit its clients).
final class AddressShare: Sendable {
    let limit: Int
    /// The server's connection cap (`HTTP_MAX_CONNECTIONS`), which this keeps a reserve of.
    let total: Int
    /// Slots at the top of the cap only an address holding fewer than ``newcomerShare`` may take.
    let reserve: Int
    /// What an address may hold and still take a reserved slot.
    static let newcomerShare = 2
    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    private struct State {
        var open: [String: Int] = [:]
        var total = 0
    }

    init(limit: Int, total: Int, logger: Logger) {
        self.limit = limit
        self.total = total
        self.reserve = total / 8
        self.logger = logger
    }

    private enum Refusal {
        case share, reserve
    }

    /// Takes a slot for `address`; false, taking nothing, when the address already holds its share, or the server
    /// is into its reserve and the address is no newcomer.
    func take(_ address: String) -> Bool {
        let refusal = state.withLockedValue { state -> Refusal? in
            let count = state.open[address, default: 0]
            guard count < limit else { return .share }
            guard state.total < total - reserve || count < Self.newcomerShare else { return .reserve }
            state.open[address] = count + 1
            state.total += 1
            return nil
        }
        switch refusal {
        case nil: return true
        case .share:
            logger.warning(
                "closing a connection: its address already holds \(limit) (HTTP_MAX_CONNECTIONS_PER_ADDRESS)",
                metadata: ["peer": "\(address)"]
            )
        case .reserve:
            logger.warning(
                "closing a connection: the last \(reserve) of HTTP_MAX_CONNECTIONS are kept for addresses holding fewer than \(Self.newcomerShare)",
                metadata: ["peer": "\(address)"]
            )
        }
        return false
    }

    func release(_ address: String) {
        state.withLockedValue { state in
            guard let count = state.open[address] else { return }
            state.open[address] = count > 1 ? count - 1 : nil
            state.total -= 1
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
