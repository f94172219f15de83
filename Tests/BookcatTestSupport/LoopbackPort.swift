import Foundation
import Glibc

/// Loopback ports for the servers tests start (Redis, PostgreSQL, the service itself).
public enum LoopbackPort {
    /// A loopback port that nothing listens on right now.
    public static func free() throws -> Int {
        let (fd, port) = try boundSocket()
        close(fd)
        return port
    }

    /// A loopback port that refuses every connection for as long as the tests run: bound by a socket that never
    /// listens, so no server another test starts can take it (as one could take a port `free()` found).
    public static func refusing() throws -> Int {
        // The socket is never closed: a handful of descriptors for the life of the test process.
        try boundSocket().port
    }

    /// A TCP socket bound to a port the system chose on 127.0.0.1, and that port.
    private static func boundSocket() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            close(fd)
            throw TestFailure("bind() or getsockname() failed")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
