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

    func addRoutes(to group: RecordingGroup<AppRequestContext>) {
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
            return Health(status: "degraded", database: "ok", cache: cacheHealth.state, reason: "cache unavailable: \(reason)")
        }
        return Health(status: "ok", database: "ok", cache: cacheHealth.state)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        let bytes = registry.emitToBuffer()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .contentLength: String(bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
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
