import BookcatCore
import Hummingbird

/// Accepts a request only with exactly one `Authorization: <scheme> <access token>` header whose token is
/// valid and whose account still exists, and records that account in the context.
struct Authenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    let tokens: TokenService
    let users: any UserRepository
    let scheme: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let fields = request.headers[values: .authorization]
        guard fields.count == 1, let field = fields.first else {
            throw unauthenticated(fields.isEmpty ? "an access token is required" : "send exactly one Authorization header")
        }
        let parts = field.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == scheme.lowercased() else {
            throw unauthenticated("the Authorization header must be '\(scheme) <access token>'")
        }
        guard let claims = await tokens.verify(String(parts[1]), as: .access), let userID = claims.userID, let session = claims.sid else {
            throw unauthenticated("the access token is invalid or expired")
        }
        guard let user = try await users.user(id: userID, inSession: session) else {
            throw unauthenticated("the session of this access token has ended (logged out, password changed or account deleted)")
        }
        var context = context
        context.user = user
        return try await next(request, context)
    }

    private func unauthenticated(_ detail: String) -> Problem {
        Problem.unauthenticated(detail, scheme: scheme)
    }
}
