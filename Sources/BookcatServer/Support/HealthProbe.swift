import Foundation
import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 GET that reports the status code, so `bookcat healthcheck` needs no curl in the image.
public enum HealthProbe {
    public struct ProbeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The status code `url` (an `http://host:port/path` URL) answers with within `timeout`.
    public static func status(of url: String, timeout: Duration) async throws -> Int {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host else {
            throw ProbeError(description: "expected an http://host:port/path URL, got '\(url)'")
        }
        let port = parsed.port ?? 80
        let path = parsed.path.isEmpty ? "/" : parsed.path + (parsed.query.map { "?" + $0 } ?? "")
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await fetchStatus(host: host, port: port, path: path) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ProbeError(description: "no answer from \(url) within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private static func fetchStatus(host: String, port: Int, path: String) async throws -> Int {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"))
            var received = ""
            for try await chunk in inbound {
                received += String(buffer: chunk)
                if received.contains("\r\n") { break }
            }
            // "HTTP/1.1 200 OK"
            let statusLine = received.split(separator: "\r\n").first ?? ""
            let fields = statusLine.split(separator: " ")
            guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else {
                throw ProbeError(description: "the answer is not HTTP: '\(statusLine.prefix(60))'")
            }
            return status
        }
    }
}
