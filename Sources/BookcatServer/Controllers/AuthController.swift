import BookcatCore
import Foundation
import HTTPTypes
import Hummingbird

/// Public routes that create accounts and sessions: signup, login and refresh.
struct AuthController {
    let accounts: AccountService
    let trustForwardedFor: Bool

    func addRoutes(to group: RecordingGroup<AppRequestContext>) {
        group.post("users", use: signUp)
        group.post("auth/login", use: logIn)
        group.post("token/refresh", use: refresh)
    }

    @Sendable func signUp(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<UserResponse> {
        let body = try await request.decodeJSON(as: SignupRequest.self, context: context)
        let user = try await accounts.signUp(email: body.email, username: body.username, password: body.password)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/users/\(user.id)"], response: UserResponse(user))
    }

    @Sendable func logIn(_ request: Request, context: AppRequestContext) async throws -> TokenResponse {
        let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
        do {
            return try await accounts.logIn(
                email: body.email,
                username: body.username,
                password: body.password,
                client: clientAddress(request, context)
            )
        } catch let error as TooManyLogins {
            let seconds = max(
                1,
                Int((Double(error.retryAfter.components.seconds) + Double(error.retryAfter.components.attoseconds) / 1e18).rounded(.up))
            )
            var problem = Problem(
                status: .tooManyRequests,
                type: Problem.typePrefix + "too-many-logins",
                title: "Too many failed logins",
                detail: "too many failed login attempts; try again in \(seconds) seconds"
            )
            problem.headers[.retryAfter] = String(seconds)
            throw problem
        }
    }

    /// Who is logging in, as far as throttling is concerned.
    private func clientAddress(_ request: Request, _ context: AppRequestContext) -> String {
        if trustForwardedFor, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return context.peerAddress ?? "unknown"
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> TokenResponse {
        let body = try await request.decodeJSON(as: RefreshTokenRequest.self, context: context)
        return try await accounts.refresh(body.refreshToken)
    }
}
