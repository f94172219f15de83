import BookcatAccounts
import BookcatCore
import Foundation
import HTTPTypes
import Hummingbird

/// Public routes that create accounts and sessions: signup, login and refresh.
struct AuthController {
    let accounts: AccountService
    let trustForwardedFor: Bool

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("users", use: signUp)
        group.post("auth/login", use: logIn)
        group.post("token/refresh", use: refresh)
    }

    @Sendable func signUp(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<UserResponse> {
        let body = try await request.decodeJSON(as: SignupRequest.self, context: context)
        let user = try await accounts.signUp(
            email: body.email,
            username: body.username,
            password: body.password,
            client: request.clientAddress(peerAddress: context.peerAddress, trustForwardedFor: trustForwardedFor)
        )
        return EditedResponse(status: .created, headers: [.location: "/api/v1/users/\(user.id)"], response: UserResponse(user))
    }

    @Sendable func logIn(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenResponse> {
        let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
        let tokens = try await accounts.logIn(
            email: body.email,
            username: body.username,
            password: body.password,
            client: request.clientAddress(peerAddress: context.peerAddress, trustForwardedFor: trustForwardedFor)
        )
        return Self.uncacheable(TokenResponse(tokens))
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenResponse> {
        let body = try await request.decodeJSON(as: RefreshTokenRequest.self, context: context)
        return Self.uncacheable(TokenResponse(try await accounts.refresh(body.refreshToken)))
    }

    /// Tokens are credentials: no browser, proxy or client library may keep a copy of the answer (RFC 6749 §5.1).
    private static func uncacheable(_ tokens: TokenResponse) -> EditedResponse<TokenResponse> {
        EditedResponse(headers: [.cacheControl: "no-store"], response: tokens)
    }
}
