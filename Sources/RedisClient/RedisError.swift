/// Why a Redis command did not produce a reply.
public enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Connecting took longer than the connect timeout, or was refused.
    case connectFailed(String)
    /// No reply within the command timeout; the connection is closed, because later replies would be out of step.
    case timeout
    /// The connection closed before the reply arrived.
    case connectionClosed
    /// The circuit breaker is open or the pool is backing off after failures: the command was not sent.
    case unavailable
    /// The server answered with an error reply (`-ERR …`).
    case server(String)
    /// The bytes from the server were not valid RESP.
    case protocolError(String)
    /// The settings cannot work as given (a TLS file that cannot be read, a cluster node where one server was
    /// expected): no retry helps until an operator changes them.
    case configuration(String)

    public var description: String {
        switch self {
        case .connectFailed(let reason): "could not connect to Redis: \(reason)"
        case .timeout: "Redis did not answer in time"
        case .connectionClosed: "the Redis connection closed"
        case .unavailable: "Redis is marked unavailable after recent failures"
        case .server(let message): "Redis error: \(message)"
        case .protocolError(let message): "Redis protocol error: \(message)"
        case .configuration(let message): "Redis configuration error: \(message)"
        }
    }
}
