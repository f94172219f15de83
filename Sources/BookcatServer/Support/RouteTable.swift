import Hummingbird
import NIOConcurrencyHelpers

/// Every route the service registers, by path template and method, so a request for a known path with an
/// unknown method gets 405 with `Allow` instead of 404.
final class RouteTable: Sendable {
    private let routes = NIOLockedValueBox<[(segments: [Substring], method: HTTPRequest.Method)]>([])

    func add(_ path: String, _ method: HTTPRequest.Method) {
        let segments = path.split(separator: "/")
        routes.withLockedValue { $0.append((segments, method)) }
    }

    /// The methods registered for paths matching `path` (`:name` segments match any one segment).
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let requested = path.split(separator: "/")
        return routes.withLockedValue { routes in
            routes.filter { route in
                route.segments.count == requested.count
                    && zip(route.segments, requested).allSatisfy { template, actual in template.hasPrefix(":") || template == actual }
            }.map(\.method)
        }
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
