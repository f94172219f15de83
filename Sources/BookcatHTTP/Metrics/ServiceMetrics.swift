import Metrics
import Prometheus

/// The one path every metric takes: swift-metrics, through one Prometheus factory over the registry `GET /metrics`
/// renders. Built once per service and injected into everything that measures (routes, the Redis client, the
/// cache); `bookcat serve` also bootstraps the process-wide system with the same factory, for the libraries that
/// read it, and tests pass MetricsTestKit's factory to the part they test.
public struct ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory
    /// The process's resident set, set as `/metrics` is rendered.
    let processMemory: ProcessMemoryGauges

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // The library's default buckets start at 5 ms: a cache hit, and a Redis command, would all fall in the first.
        factory.durationHistogramBuckets = [
            "http_request_duration_seconds": [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ],
            "redis_command_duration_seconds": [
                .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2),
            ],
        ]
        self.registry = registry
        self.factory = factory
        self.processMemory = ProcessMemoryGauges(factory: factory)
    }
}
