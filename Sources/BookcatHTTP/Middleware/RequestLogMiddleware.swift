import Hummingbird
import Logging
import NIOCore

/// Logs one line per request: method, path, status and duration.
///
/// Deliberately never the query string, headers or body: they carry tokens (`Authorization`), passwords and
/// search terms, and logs travel further than the database.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsedNanoseconds = TimeAmount(ContinuousClock.now - start).nanoseconds
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "duration_ms": "\(Double(elapsedNanoseconds) / 1e6)",
            ]
        )
        return response
    }
}
