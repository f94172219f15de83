import BookcatAccounts
import BookcatCore
import Hummingbird

/// Routes about accounts for signed-in callers: the caller's own account, and every account for admins.
struct UserController {
    let accounts: AccountService
    let trustForwardedFor: Bool

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("auth/logout", use: logOut)
        group.get("users", use: list)
        group.get("users/me", use: me)
        group.patch("users/me", use: updateMe)
        group.delete("users/me", use: deleteMe)
        group.get("users/:user_id", use: show)
    }

    @Sendable func logOut(_ request: Request, context: AuthenticatedContext) async throws -> HTTPResponse.Status {
        let body = try await request.decodeJSON(as: RefreshTokenRequest.self, context: context)
        try await accounts.logOut(context.user, refreshToken: body.refreshToken)
        return .noContent
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> [UserResponse] {
        try context.requireAdmin()
        return try await accounts.users.allUsers().map(UserResponse.init)
    }

    @Sendable func me(_ request: Request, context: AuthenticatedContext) async throws -> UserResponse {
        UserResponse(context.user)
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> UserResponse {
        let id = try context.parameters.positiveID("user_id")
        try context.requireSelfOrAdmin(id, resource: "this account")
        guard let user = try await accounts.users.user(id: id) else { throw CatalogError.noSuchUser(id) }
        return UserResponse(user)
    }

    @Sendable func updateMe(_ request: Request, context: AuthenticatedContext) async throws -> UserResponse {
        let body = try await request.decodeJSON(as: UpdateMeRequest.self, context: context)
        let user = try await accounts.update(
            context.user,
            username: body.username,
            newPassword: body.password,
            currentPassword: body.currentPassword,
            client: request.clientAddress(peerAddress: context.peerAddress, trustForwardedFor: trustForwardedFor)
        )
        return UserResponse(user)
    }

    @Sendable func deleteMe(_ request: Request, context: AuthenticatedContext) async throws -> HTTPResponse.Status {
        let body = try await request.decodeJSON(as: DeleteMeRequest.self, context: context)
        try await accounts.delete(
            context.user,
            password: body.password,
            client: request.clientAddress(peerAddress: context.peerAddress, trustForwardedFor: trustForwardedFor)
        )
        return .noContent
    }
}
