import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Health, metrics and the contract")
struct OperationsTests {
    @Test func healthCheckReportsTheDatabase() async throws {
        try await TestApp.run { app in
            let response = try await app.send(.get, "/api/v1/common/health-check")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(try body.string("status") == "ok")
            #expect(try body.string("database") == "ok")
        }
    }

    /// The second audit: `/metrics` was public in production unless METRICS_TOKEN was set. There, it is closed until
    /// it is; in development it stays open.
    @Test func metricsAreClosedInProductionWithoutAToken() async throws {
        var configuration = TestApp.configuration()
        configuration.server.mode = .production
        try await TestApp.run(configuration: configuration) { app in
            let closed = try await app.send(.get, "/metrics")
            #expect(closed.status == .forbidden)
            #expect(try closed.problem()["detail"] as? String == "/metrics is closed in production until METRICS_TOKEN is set")
            #expect(!closed.text.contains("http_requests_total"))
        }
        try await TestApp.run { app in
            let open = try await app.send(.get, "/metrics")
            #expect(open.status == .ok)
        }
    }

    /// The audit: `/metrics` was public. With METRICS_TOKEN set it answers only that bearer token.
    @Test func metricsCanBeProtectedWithAToken() async throws {
        var configuration = TestApp.configuration()
        configuration.server.metricsToken = "metrics-token-0123456789"
        try await TestApp.run(configuration: configuration) { app in
            let anonymous = try await app.send(.get, "/metrics")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            _ = try anonymous.problem()
            #expect(try await app.send(.get, "/metrics", token: "metrics-token-012345678X").status == .unauthorized)
            #expect(try await app.send(.get, "/metrics", token: "metrics-token").status == .unauthorized)
            let member = try await app.member("grace")
            #expect(try await app.send(.get, "/metrics", token: member.accessToken).status == .unauthorized)
            let allowed = try await app.send(.get, "/metrics", token: "metrics-token-0123456789")
            #expect(allowed.status == .ok)
            #expect(allowed.text.contains("http_requests_total"))
        }
    }

    @Test func metricsCountRequestsPerRouteTemplateAndStatus() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            _ = try await app.send(.get, "/api/v1/books/1", token: token)
            _ = try await app.send(.get, "/api/v1/books/2", token: token)
            let metrics = try await app.send(.get, "/metrics").text
            #expect(metrics.contains(#"http_requests_total{method="GET",route="/api/v1/books/{book_id}",status="404"} 2"#))
            #expect(metrics.contains("http_request_duration_seconds_bucket"))
        }
    }

    /// What the process holds, as the kernel counts it, read as /metrics is scraped (Linux, where the tests run).
    @Test func metricsShowTheProcesssResidentMemory() async throws {
        try await TestApp.run { app in
            let metrics = try await app.send(.get, "/metrics").text
            for name in ["process_resident_memory_bytes", "process_resident_anonymous_bytes"] {
                let line = metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                let bytes = line.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
                // A Swift server holds megabytes; a few kilobytes would be a unit read wrong.
                #expect(bytes > 1_000_000, "\(name): \(line ?? "missing")")
            }
        }
    }

    @Test func theServedContractIsTheRepositorysSpec() async throws {
        try await TestApp.run { app in
            let served = try await app.send(.get, "/openapi.yaml")
            #expect(served.status == .ok)
            let specURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../REST_API_SPEC.yaml")
            #expect(served.text == (try String(contentsOf: specURL, encoding: .utf8)))
            #expect(served.text.hasPrefix("openapi: 3.1"))
        }
    }

    @Test func theHealthcheckCommandsProbeSeesALiveServer() async throws {
        try await TestApp.run(.live) { app in
            let port = try #require(app.client.port)
            let status = try await HealthProbe.status(of: "http://127.0.0.1:\(port)/api/v1/common/health-check", timeout: answerLimit)
            #expect(status == 200)
            let missing = try await HealthProbe.status(of: "http://127.0.0.1:\(port)/nothing", timeout: answerLimit)
            #expect(missing == 404)
        }
    }

    @Test func theProbeFailsWhenNothingListens() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await HealthProbe.status(of: "http://127.0.0.1:1/", timeout: .seconds(2))
        }
    }

    @Test func everyResponseTellsBrowsersNotToSniffItsType() async throws {
        try await TestApp.run { app in
            let token = try await app.member().accessToken
            let responses = [
                try await app.send(.get, "/api/v1/books", token: token),
                try await app.send(.get, "/api/v1/books"),
                try await app.send(.get, "/api/v1/books/999", token: token),
                try await app.send(.get, "/api/v1/books?page=0", token: token),
                try await app.send(.delete, "/api/v1/common/health-check"),
                try await app.send(.get, "/nothing/here"),
                try await app.send(.get, "/metrics"),
                try await app.send(.get, "/docs"),
            ]
            #expect(responses.map(\.status.code) == [200, 401, 404, 400, 405, 404, 200, 200])
            for response in responses {
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(response.status)")
            }
        }
    }

    @Test func theDocsPageRunsNoInlineScriptAndLoadsEverythingFromTheService() async throws {
        try await TestApp.run { app in
            let page = try await app.send(.get, "/docs")
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self';"))
            #expect(policy.contains("default-src 'none'"))
            #expect(!page.text.contains("https://"), "the docs page refers to another site")
            // Every <script> has a src: nothing inline that the policy would have to allow.
            #expect(page.text.components(separatedBy: "<script").count - 1 == page.text.components(separatedBy: "<script src=").count - 1)
            let script = try await app.send(.get, "/docs/init.js")
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.text.contains("SwaggerUIBundle"))
            for (asset, type) in [("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css"), ("favicon-32x32.png", "image/png")] {
                #expect(page.text.contains("/docs/\(asset)"))
                let file = try await app.send(.get, "/docs/\(asset)")
                #expect(file.status == .ok)
                #expect(file.headers[.contentType]?.hasPrefix(type) == true)
                #expect(file.body.readableBytes > 100)
            }
            let bundle = try await app.send(.get, "/docs/swagger-ui-bundle.js")
            #expect(bundle.text.contains("SwaggerUIBundle"))
            let missing = try await app.send(.get, "/docs/../../etc/passwd")
            #expect(missing.status == .notFound)
            _ = try missing.problem()
        }
    }

    /// The files are served exactly as vendored, from the resource bundle beside the test binary.
    @Test func theDocsFilesAreTheVendoredFilesByteForByte() async throws {
        let vendored = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources/BookcatHTTP/Resources/swagger-ui"
        )
        try await TestApp.run { app in
            for asset in SwaggerUIFiles.contentTypes.keys {
                let served = try await app.send(.get, "/docs/\(asset)")
                let file = try #require(FileManager.default.contents(atPath: vendored.appendingPathComponent(asset).path))
                #expect(Array(served.body.readableBytesView) == Array(file), "\(asset) differs from the vendored file")
            }
        }
    }

    /// A missing file stops the router from being built, naming where it was looked for: never an empty page.
    @Test func aMissingDocsFileIsAnErrorThatNamesItsPath() throws {
        let folder = TemporaryFolder("docs")
        defer { folder.remove() }
        let url = folder.url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
            #expect(FileManager.default.createFile(atPath: url.appendingPathComponent(asset).path, contents: Data("x".utf8)))
        }
        let error = try #require(throws: SwaggerUIFiles.Missing.self) { try SwaggerUIFiles(folder: url) }
        #expect(error.path.hasSuffix("favicon-32x32.png"))
        #expect(error.description.contains("bookcat_BookcatHTTP.resources"))
    }
}
