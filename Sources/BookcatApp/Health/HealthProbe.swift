import Foundation
import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 GET of the health endpoint, so `bookcat healthcheck` needs no curl in the image.
public enum HealthProbe {
    public struct ProbeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// What a probe makes of the health endpoint's answer.
    public enum Readiness: Sendable, Equatable {
        case ready
        /// Serving, but without a part it is configured with (the cache): not ready for traffic from a deploy's point of view.
        case degraded(reason: String)
        /// Any other answer: an error status, or a body that is not the health document.
        case unready(String)
    }

    /// Asks `url` (an `http://host:port/path` URL) and judges the answer: 200 with `"status": "ok"` is ready.
    public static func readiness(of url: String, timeout: Duration) async throws -> Readiness {
        let answer = try await get(url, timeout: timeout)
        guard answer.status == 200 else { return .unready("\(url) answered \(answer.status)") }
        struct Health: Decodable {
            var status: String
            var reason: String?
        }
        guard let health = try? JSONDecoder().decode(Health.self, from: Data(answer.body.utf8)) else {
            return .unready("\(url) answered 200 without a health document")
        }
        switch health.status {
        case "ok": return .ready
        case "degraded": return .degraded(reason: health.reason ?? "no reason given")
        default: return .unready("\(url) reports status '\(health.status)'")
        }
    }

    /// The status code `url` answers with within `timeout`.
    public static func status(of url: String, timeout: Duration) async throws -> Int {
        try await get(url, timeout: timeout).status
    }

    private static func get(_ url: String, timeout: Duration) async throws -> (status: Int, body: String) {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host else {
            throw ProbeError(description: "expected an http://host:port/path URL, got '\(url)'")
        }
        let port = parsed.port ?? 80
        let path = parsed.path.isEmpty ? "/" : parsed.path + (parsed.query.map { "?" + $0 } ?? "")
        return try await withThrowingTaskGroup(of: (status: Int, body: String).self) { group in
            group.addTask { try await fetch(host: host, port: port, path: path) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ProbeError(description: "no answer from \(url) within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The status and body of one request; the body is read to the end, since the request asks the server to close.
    private static func fetch(host: String, port: Int, path: String) async throws -> (status: Int, body: String) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"))
            var received = ByteBuffer()
            // The health document is small; a bound keeps a misbehaving peer from growing this without end.
            for try await var chunk in inbound where received.readableBytes < 65_536 {
                received.writeBuffer(&chunk)
            }
            let text = String(buffer: received)
            // "HTTP/1.1 200 OK"
            let statusLine = text.split(separator: "\r\n").first ?? ""
            let fields = statusLine.split(separator: " ")
            guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else {
                throw ProbeError(description: "the answer is not HTTP: '\(statusLine.prefix(60))'")
            }
            let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
            return (status, body)
        }
    }
}
