import BookcatCore
import HTTPTypes

/// Members' uncached renders are spent (``RenderBudget``): the account's (429) or the process's turns (503), with
/// `Retry-After`, so a client knows when to ask again.
struct TooManyRenders: Error {
    enum Reason {
        case account, busy
    }

    /// Whose bucket was empty; nil when the process's turns were all taken.
    var account: Int64?
    var retryAfter: Duration
    var reason: Reason

    var problem: Problem {
        let seconds = max(1, Int(retryAfter.seconds.rounded(.up)))
        var problem =
            switch reason {
            case .account:
                Problem(
                    status: .tooManyRequests,
                    type: Problem.typePrefix + "too-many-renders",
                    title: "Too many uncached listings",
                    detail: "this account asked for more uncached listings than RENDERS_PER_MINUTE allows; "
                        + "cached pages still answer; try again in \(seconds) seconds"
                )
            case .busy:
                Problem(
                    status: .serviceUnavailable,
                    type: Problem.typePrefix + "renders-busy",
                    title: "Listings busy",
                    detail: "too many uncached listings are being rendered; try again in \(seconds) seconds"
                )
            }
        problem.headers[.retryAfter] = String(seconds)
        return problem
    }
}
