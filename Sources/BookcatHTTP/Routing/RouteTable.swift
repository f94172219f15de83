import Hummingbird
import NIOConcurrencyHelpers

/// Every route the service registers, by path template and method, so a request for a known path with an
/// unknown method gets 405 with `Allow` instead of 404, and so tests can go through every route.
final class RouteTable: Sendable {
    struct Route: Sendable, Hashable, CustomStringConvertible {
        /// The path template, `:name` for a parameter: `/api/v1/books/:book_id`.
        let path: String
        let method: HTTPRequest.Method
        /// `path` split once, when registered, not on every lookup.
        let segments: [Substring]
        var description: String { "\(method) \(path)" }

        init(path: String, method: HTTPRequest.Method) {
            self.path = path
            self.method = method
            self.segments = path.split(separator: "/")
        }
    }

    private let routes = NIOLockedValueBox<[Route]>([])

    func add(_ path: String, _ method: HTTPRequest.Method) {
        routes.withLockedValue { $0.append(Route(path: path, method: method)) }
    }

    /// Every route registered so far, in registration order.
    var all: [Route] { routes.withLockedValue { $0 } }

    /// The methods registered for paths matching `path` (`:name` segments match any one segment).
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let requested = path.split(separator: "/")
        return all.filter { route in
            route.segments.count == requested.count
                && zip(route.segments, requested).allSatisfy { template, actual in template.hasPrefix(":") || template == actual }
        }.map(\.method)
    }
}

extension RouteTable {
    func isKnownPathWithOtherMethods(_ request: Request) -> Bool {
        let allowed = allowedMethods(for: request.uri.path)
        return !allowed.isEmpty && !allowed.contains(request.method)
    }
}

/// A router group that records what it registers in a ``RouteTable``.
struct RecordingGroup<Context: RequestContext> {
    let group: RouterGroup<Context>
    let prefix: String
    let table: RouteTable

    func on(
        _ path: String,
        _ method: HTTPRequest.Method,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) {
        table.add(prefix + "/" + path, method)
        group.on(RouterPath(path), method: method, use: handler)
    }

    func get(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(path, .get, use: handler)
    }

    func post(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(path, .post, use: handler)
    }

    func put(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(path, .put, use: handler)
    }

    func patch(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(path, .patch, use: handler)
    }

    func delete(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(path, .delete, use: handler)
    }
}
