import BookcatCore
import Foundation
import Hummingbird
import Logging
import Prometheus

/// Routes for operators and tooling: readiness, metrics and the API contract.
struct OperationsController {
    let database: any DatabaseHealth
    let cache: any ResponseCache
    let registry: PrometheusCollectorRegistry
    let processMemory: ProcessMemoryGauges
    /// Who may read `/metrics`: per-route counts show what a service is used for, which is the operator's business.
    let metrics: MetricsAccess

    enum MetricsAccess {
        /// Anyone: development, where the service is not on the internet.
        case open
        /// Only `Authorization: Bearer <token>` (METRICS_TOKEN).
        case token(String)
        /// No one: production without METRICS_TOKEN.
        case closed
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("api/v1/common/health-check", use: health)
        group.get("metrics", use: metrics)
        group.get("openapi.yaml", use: openAPI)
    }

    struct Health: ResponseEncodable {
        /// `ok`, or `degraded` while a configured cache does not answer: the service still serves every request
        /// from the database, but uncached. Readiness probes
        /// (`bookcat healthcheck`) treat `degraded` as not ready, so a deploy whose cache cannot connect rolls back.
        var status: String
        var database: String
        /// `ok`, `unavailable` or `disabled`.
        var cache: String
        /// Why the status is not `ok`; absent when it is.
        var reason: String?
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Health {
        do {
            try await database.ping()
        } catch {
            context.logger.error("health check: database is not answering", metadata: ["error": "\(error)"])
            throw Problem(status: .serviceUnavailable, title: "Service unavailable", detail: "the database is not answering")
        }
        let cacheHealth = await cache.health()
        if case .unavailable(let reason) = cacheHealth {
            // The reason names the cache's address, which is the operator's to read, in the log: anyone may ask here.
            context.logger.warning("health check: cache unavailable", metadata: ["reason": "\(reason)"])
            return Health(status: "degraded", database: "ok", cache: cacheHealth.state, reason: "cache unavailable")
        }
        return Health(status: "ok", database: "ok", cache: cacheHealth.state)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        switch metrics {
        case .open:
            break
        case .token(let token):
            if !Self.presents(token, in: request) {
                var problem = Problem(status: .unauthorized, title: "Unauthorized", detail: "/metrics needs the token set in METRICS_TOKEN")
                problem.headers[.wwwAuthenticate] = "Bearer"
                throw problem
            }
        case .closed:
            throw Problem(status: .forbidden, title: "Forbidden", detail: "/metrics is closed in production until METRICS_TOKEN is set")
        }
        processMemory.record()
        let bytes = registry.emitToBuffer()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .contentLength: String(bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// Compared in constant time, so the answer's timing does not give the token away byte by byte.
    private static func presents(_ token: String, in request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let presented = Array(header.utf8.dropFirst("Bearer ".utf8.count))
        let expected = Array(token.utf8)
        guard presented.count == expected.count else { return false }
        return zip(presented, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let bytes = PackageResources.REST_API_SPEC_yaml
        return Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8", .contentLength: String(bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
