import Metrics

/// Counts what the login throttle turns away (`login_throttle_refusals_total{kind="logins"|"signups"|"refreshes"}`):
/// a rising count is someone guessing passwords, scripting signups or looping refreshes, worth an alert.
public struct ThrottleRefusals: Sendable {
    private let logins: Counter
    private let signups: Counter
    private let refreshes: Counter

    public init(factory: any MetricsFactory) {
        logins = Counter(label: "login_throttle_refusals_total", dimensions: [("kind", "logins")], factory: factory)
        signups = Counter(label: "login_throttle_refusals_total", dimensions: [("kind", "signups")], factory: factory)
        refreshes = Counter(label: "login_throttle_refusals_total", dimensions: [("kind", "refreshes")], factory: factory)
    }

    /// Counts the refusal and returns the error that answers it.
    public func refuse(_ kind: TooManyAttempts.Kind, retryAfter wait: Duration) -> TooManyAttempts {
        switch kind {
        case .logins: logins.increment()
        case .signups: signups.increment()
        case .refreshes: refreshes.increment()
        }
        return TooManyAttempts(kind: kind, retryAfter: wait)
    }
}
