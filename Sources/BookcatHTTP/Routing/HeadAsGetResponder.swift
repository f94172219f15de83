import HTTPTypes
import Hummingbird

/// `HEAD` wherever `GET` is (RFC 9110 §9.3.2): the request is answered as its `GET`, with the same status and
/// headers (`Content-Length`, `ETag`, `X-Cache`) and no body. Monitors and caches probe with `HEAD`; the routes need
/// not each register it. Around the router rather than among its middleware, which run once a route was found
/// for the method as sent.
struct HeadAsGetResponder<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner
    /// Where `GET` is served: elsewhere `HEAD` goes on as sent, to its 405 and its `Allow`.
    let routes: KnownRoutes

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head, routes.allowedMethods(for: request.uri.path).contains(.get) else {
            return try await inner.respond(to: request, context: context)
        }
        var head = request.head
        head.method = .get
        var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        // The length the GET's body has, and none of its bytes: the server writes `Content-Length` from the body.
        response.body = ResponseBody(contentLength: response.body.contentLength) { writer in try await writer.finish(nil) }
        return response
    }
}
