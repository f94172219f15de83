import HTTPTypes
import Hummingbird

/// A request names one host (RFC 9112 §3.2: more than one `Host` field is answered 400). Two of them are how a
/// request smuggled past a proxy that read the first reaches a server that reads the last; the HTTP layer keeps the
/// first as the request's authority and leaves any other among its fields, which is what this looks for.
struct OneHostMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let hosts = request.headers[values: .host].count + (request.head.authority == nil ? 0 : 1)
        guard hosts <= 1 else {
            throw Problem(status: .badRequest, detail: "a request must carry exactly one Host header")
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// `Host`, which HTTP/2's field names leave out (it is the request's authority there).
    static let host = HTTPField.Name("Host")!
}
