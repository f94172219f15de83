import BookcatCore
import HTTPTypes

/// Password checks are all taken: answered 503 with `Retry-After`, so a client can wait and try again.
struct PasswordWorkBusy: Error {
    var retryAfter: Duration

    var problem: Problem {
        .retryLater(.serviceUnavailable, type: "password-checks-busy", title: "Password checks busy", after: retryAfter) {
            "too many password checks are waiting; try again in \($0) seconds"
        }
    }
}
