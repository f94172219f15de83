import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Counts requests and times them per route template and status, and gauges those in flight.
///
/// Hummingbird's `MetricsMiddleware` does the same through the same swift-metrics path; this one stays because
/// (1) its names are the service's documented ones (`http_requests_total`, `http_request_duration_seconds`,
/// `http_requests_in_flight`), which dashboards and alerts already use, and (2) it keeps each series' handles
/// once made, where building them from their labels on every request was a measurable share of a cache hit.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let factory: any MetricsFactory
    /// The counter and timer of each method, route and status seen so far.
    private let series = Series()
    /// Requests being answered right now: what a stopping server still has to drain.
    private let inFlight: Meter

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.inFlight = Meter(label: "http_requests_in_flight", factory: factory)
    }

    private final class Series: Sendable {
        let byKey = Mutex<[String: (Counter, Timer)]>([:])
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        inFlight.increment()
        defer { inFlight.decrement() }
        let response = try await next(request, context)
        // The route template (`/api/v1/books/{book_id}`), never the raw path: ids would explode the label set.
        let route = context.endpointPath ?? "unmatched"
        // A method is the client's to name: one outside HTTP's own would make a series of its own each.
        let method = knownMethods.contains(request.method) ? request.method.rawValue : "other"
        let (counter, timer) = metrics(method: method, route: route, status: response.status.code)
        counter.increment()
        timer.recordNanoseconds(TimeAmount(ContinuousClock.now - start).nanoseconds)
        return response
    }

    private func metrics(method: String, route: String, status: Int) -> (Counter, Timer) {
        let key = "\(method) \(route) \(status)"
        if let known = series.byKey.withLock({ $0[key] }) { return known }
        let labels = [("method", method), ("route", route), ("status", String(status))]
        let made = (
            Counter(label: "http_requests_total", dimensions: labels, factory: factory),
            Timer(label: "http_request_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory)
        )
        series.byKey.withLock { $0[key] = made }
        return made
    }
}

/// The methods HTTP itself defines: any other a client sends is counted as `other`.
private let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]
