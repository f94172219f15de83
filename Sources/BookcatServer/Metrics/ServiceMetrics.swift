import Metrics
import Prometheus

/// The one path every metric takes: swift-metrics, through a Prometheus factory over the registry `GET /metrics`
/// renders. `bookcat serve` bootstraps the process-wide system with it; tests build one per application over
/// their own registry, or pass MetricsTestKit's factory to the part they test.
public enum ServiceMetrics {
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
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
        return factory
    }
}
