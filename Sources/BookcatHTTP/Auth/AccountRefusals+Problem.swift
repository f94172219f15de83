import BookcatAccounts
import BookcatCore
import HTTPTypes

/// How the HTTP API answers the account rules' refusals: a status, a problem type, and when to try again.
extension PasswordWorkBusy {
    var problem: Problem {
        .retryLater(.serviceUnavailable, type: "password-checks-busy", title: "Password checks busy", after: retryAfter) {
            "too many password checks are waiting; try again in \($0) seconds"
        }
    }
}

extension TooManyAttempts {
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
