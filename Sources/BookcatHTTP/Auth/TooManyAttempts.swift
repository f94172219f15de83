import BookcatCore
import HTTPTypes

/// Logins or signups are paused for this account or client address; answered as 429 with `Retry-After`.
struct TooManyAttempts: Error {
    enum Kind {
        case logins, signups, refreshes
    }

    var kind: Kind
    var retryAfter: Duration

    var problem: Problem {
        switch kind {
        case .logins:
            .retryLater(.tooManyRequests, type: "too-many-logins", title: "Too many logins", after: retryAfter) {
                "too many login attempts for this account or from this address; try again in \($0) seconds"
            }
        case .signups:
            .retryLater(.tooManyRequests, type: "too-many-signups", title: "Too many signups", after: retryAfter) {
                "too many signups from this address; try again in \($0) seconds"
            }
        case .refreshes:
            .retryLater(.tooManyRequests, type: "too-many-refreshes", title: "Too many refreshes", after: retryAfter) {
                "this account refreshed its tokens too often; try again in \($0) seconds"
            }
        }
    }
}
