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
        switch reason {
        case .account:
            .retryLater(.tooManyRequests, type: "too-many-renders", title: "Too many uncached listings", after: retryAfter) {
                "this account asked for more uncached listings than RENDERS_PER_MINUTE allows; cached pages still answer; "
                    + "try again in \($0) seconds"
            }
        case .busy:
            .retryLater(.serviceUnavailable, type: "renders-busy", title: "Listings busy", after: retryAfter) {
                "too many uncached listings are being rendered; try again in \($0) seconds"
            }
        }
    }
}
