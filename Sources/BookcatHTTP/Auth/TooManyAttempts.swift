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
        let seconds = max(
            1,
            Int(retryAfter.seconds.rounded(.up))
        )
        var problem =
            switch kind {
            case .logins:
                Problem(
                    status: .tooManyRequests,
                    type: Problem.typePrefix + "too-many-logins",
                    title: "Too many logins",
                    detail: "too many login attempts for this account or from this address; try again in \(seconds) seconds"
                )
            case .signups:
                Problem(
                    status: .tooManyRequests,
                    type: Problem.typePrefix + "too-many-signups",
                    title: "Too many signups",
                    detail: "too many signups from this address; try again in \(seconds) seconds"
                )
            case .refreshes:
                Problem(
                    status: .tooManyRequests,
                    type: Problem.typePrefix + "too-many-refreshes",
                    title: "Too many refreshes",
                    detail: "this account refreshed its tokens too often; try again in \(seconds) seconds"
                )
            }
        problem.headers[.retryAfter] = String(seconds)
        return problem
    }
}
