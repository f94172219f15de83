import Hummingbird
import NIOCore
import Prometheus
import Synchronization

/// Counts requests and times them per route template and status, straight into the Prometheus registry
/// that `GET /metrics` renders (so it works without bootstrapping the global metrics system).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry
    /// The counter and histogram of each method, route and status seen so far: looked up once, not built from
    /// their labels in the registry on every request (a measurable share of a cache hit's cost).
    private let series = Series()
    /// Requests being answered right now: what a stopping server still has to drain.
    private let inFlight: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.inFlight = registry.makeGauge(name: "http_requests_in_flight", help: "Requests received and not yet answered")
    }

    private final class Series: Sendable {
        let byKey = Mutex<[String: (Counter, DurationHistogram)]>([:])
    }

    static var buckets: [Duration] {
        [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        inFlight.increment()
        defer { inFlight.decrement() }
        let response = try await next(request, context)
        // The route template (`/api/v1/books/{book_id}`), never the raw path: ids would explode the label set.
        let route = context.endpointPath ?? "unmatched"
        let (counter, histogram) = metrics(method: request.method.rawValue, route: route, status: response.status.code)
        counter.increment()
        histogram.recordNanoseconds(TimeAmount(ContinuousClock.now - start).nanoseconds)
        return response
    }

    private func metrics(method: String, route: String, status: Int) -> (Counter, DurationHistogram) {
        let key = "\(method) \(route) \(status)"
        if let known = series.byKey.withLock({ $0[key] }) { return known }
        let labels = [("method", method), ("route", route), ("status", String(status))]
        let made = (
            registry.makeCounter(name: "http_requests_total", labels: labels, help: "HTTP requests answered"),
            registry.makeDurationHistogram(
                name: "http_request_duration_seconds",
                labels: labels,
                buckets: Self.buckets,
                help: "Time from request to response head"
            )
        )
        series.byKey.withLock { $0[key] = made }
        return made
    }
}
