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
        var status: String
        var database: String
        /// `ok`, `unavailable` or `disabled`; an unavailable cache does not make the service unready.
        var cache: String
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Health {
        do {
            try await database.ping()
        } catch {
            context.logger.error("health check: database is not answering", metadata: ["error": "\(error)"])
            throw Problem(status: .serviceUnavailable, title: "Service unavailable", detail: "the database is not answering")
        }
        return Health(status: "ok", database: "ok", cache: await cache.health().rawValue)
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
