import BookcatCore
import HTTPTypes

/// Password checks are all taken: answered 503 with `Retry-After`, so a client can wait and try again.
struct PasswordWorkBusy: Error {
    var retryAfter: Duration

    var problem: Problem {
        let seconds = max(1, Int(retryAfter.seconds.rounded(.up)))
        var problem = Problem(
            status: .serviceUnavailable,
            type: Problem.typePrefix + "password-checks-busy",
            title: "Password checks busy",
            detail: "too many password checks are waiting; try again in \(seconds) seconds"
        )
        problem.headers[.retryAfter] = String(seconds)
        return problem
    }
}
