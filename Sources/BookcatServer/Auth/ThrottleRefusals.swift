import Metrics

/// Counts what the login throttle turns away (`login_throttle_refusals_total{kind="logins"|"signups"}`): a rising
/// count is someone guessing passwords or scripting signups, worth an alert.
struct ThrottleRefusals: Sendable {
    private let logins: Counter
    private let signups: Counter

    init(factory: any MetricsFactory) {
        logins = Counter(label: "login_throttle_refusals_total", dimensions: [("kind", "logins")], factory: factory)
        signups = Counter(label: "login_throttle_refusals_total", dimensions: [("kind", "signups")], factory: factory)
    }

    /// Counts the refusal and returns the error that answers it.
    func refuse(_ kind: TooManyAttempts.Kind, retryAfter wait: Duration) -> TooManyAttempts {
        switch kind {
        case .logins: logins.increment()
        case .signups: signups.increment()
        }
        return TooManyAttempts(kind: kind, retryAfter: wait)
    }
}
