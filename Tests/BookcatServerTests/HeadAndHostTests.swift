import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// HTTP's framing rules the third audit found loose: `HEAD` answered 405 where `GET` is served, and a request with
/// two `Host` fields was served on the last. On a real socket, as clients send them.
@Suite("HEAD and Host")
struct HeadAndHostTests {
    @Test func headIsAnsweredWhereverGetIsWithItsHeadersAndNoBody() async throws {
        try await TestApp.run(.live) { app in
            let port = try #require(app.client.port)
            let token = try await app.admin().accessToken
            _ = try await app.createBook(token: token)
            for path in ["/api/v1/books", "/api/v1/common/health-check", "/api/v1/tags"] {
                let get = try await RawConnection.open(port: port)
                try await get.send("GET \(path) HTTP/1.1\r\nHost: bookcat\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
                let full = try await get.untilClosed()
                let head = try await RawConnection.open(port: port)
                try await head.send("HEAD \(path) HTTP/1.1\r\nHost: bookcat\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
                let answer = try await head.untilClosed()
                #expect(answer.hasPrefix("HTTP/1.1 200"), "HEAD \(path): \(answer.prefix(200))")
                let (headers, body) = Self.split(answer)
                let (getHeaders, getBody) = Self.split(full)
                #expect(body.isEmpty, "HEAD \(path) sent a body")
                #expect(Self.field("content-length", in: headers) == String(getBody.utf8.count), "\(headers)")
                #expect(Self.field("content-type", in: headers) == Self.field("content-type", in: getHeaders))
            }
            // A path with no GET still refuses HEAD, and says what it allows.
            let loans = try await app.send(.head, "/api/v1/auth/login")
            #expect(loans.status == .methodNotAllowed)
            let options = try await app.send(.put, "/api/v1/books")
            #expect(options.headers[.allow]?.contains("HEAD") == true)
        }
    }

    @Test func twoHostFieldsAreRefused() async throws {
        try await TestApp.run(.live) { app in
            let port = try #require(app.client.port)
            let connection = try await RawConnection.open(port: port)
            try await connection.send(
                "GET /api/v1/common/health-check HTTP/1.1\r\nHost: bookcat\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
            )
            let answer = try await connection.untilClosed()
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(300))")
            #expect(answer.contains("exactly one Host header"))
        }
    }

    /// Methods are the client's to name: each unknown one must not become a metric series of its own.
    @Test func unknownMethodsShareOneMetricSeries() async throws {
        try await TestApp.run(.live) { app in
            let port = try #require(app.client.port)
            for method in ["PURGE", "PROPFIND"] {
                let connection = try await RawConnection.open(port: port)
                try await connection.send("\(method) /api/v1/books HTTP/1.1\r\nHost: bookcat\r\nConnection: close\r\n\r\n")
                _ = try await connection.untilClosed()
            }
            let metrics = try await app.send(.get, "/metrics").text
            #expect(!metrics.contains("PURGE") && !metrics.contains("PROPFIND"))
            #expect(metrics.contains(#"method="other""#))
        }
    }

    private static func split(_ response: String) -> (headers: String, body: String) {
        guard let end = response.range(of: "\r\n\r\n") else { return (response, "") }
        return (String(response[..<end.lowerBound]), String(response[end.upperBound...]))
    }

    private static func field(_ name: String, in headers: String) -> String? {
        headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }
}
