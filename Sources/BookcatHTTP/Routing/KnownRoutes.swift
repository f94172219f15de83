import Hummingbird
import NIOConcurrencyHelpers

/// The routes the router serves, as Hummingbird's own `Router.routes` lists them once every controller has
/// registered: a request for a known path with another method gets 405 with `Allow` instead of 404, and tests go
/// through every route. Read once, after registration; the middleware that needs it exists before the routes do.
final class KnownRoutes: Sendable {
    struct Route: Sendable, Hashable, CustomStringConvertible {
        /// The path template as OpenAPI writes it, `{name}` for a parameter: `/api/v1/books/{book_id}`.
        let path: String
        let method: HTTPRequest.Method
        /// `path` split once, not on every lookup.
        let segments: [Substring]
        var description: String { "\(method) \(path)" }

        init(path: String, method: HTTPRequest.Method) {
            self.path = path
            self.method = method
            self.segments = path.split(separator: "/")
        }
    }

    private let routes = NIOLockedValueBox<[Route]>([])

    /// Takes what `router` serves now; call it once every route is registered.
    func load<Context>(from router: Router<Context>) {
        let served = router.routes.map { Route(path: $0.path.description, method: $0.method) }
        routes.withLockedValue { $0 = served }
    }

    /// Every route the router serves.
    var all: [Route] { routes.withLockedValue { $0 } }

    /// The methods served for paths matching `path` (a `{name}` segment matches any one segment), each once, in the
    /// order HTTP lists them (`GET, POST, PUT, PATCH, DELETE`), whichever controller registered them first.
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let requested = path.split(separator: "/")
        var served = Set(
            all.filter { route in
                route.segments.count == requested.count
                    && zip(route.segments, requested).allSatisfy { template, actual in template.hasPrefix("{") || template == actual }
            }.map(\.method)
        )
        // Every GET answers HEAD too (``HeadAsGetResponder``).
        if served.contains(.get) { served.insert(.head) }
        return Self.conventionalOrder.filter(served.contains) + served.subtracting(Self.conventionalOrder).sorted { $0.rawValue < $1.rawValue }
    }

    private static let conventionalOrder: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    func isKnownPathWithOtherMethods(_ request: Request) -> Bool {
        let allowed = allowedMethods(for: request.uri.path)
        return !allowed.isEmpty && !allowed.contains(request.method)
    }
}
