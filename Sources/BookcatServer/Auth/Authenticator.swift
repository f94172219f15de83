import BookcatCore
import Hummingbird

/// Accepts a request only with exactly one `Authorization: <scheme> <access token>` header whose token is
/// valid and whose session is live, and records that account in the context.
struct Authenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    let tokens: TokenService
    let sessions: SessionCheck
    let scheme: String
    /// On routes that read through ``CachedReads`` (which confirms it against the cache's session epoch), a session
    /// this process remembers is enough to go on: no store read on a cache hit. Everywhere else, the store decides.
    var acceptsRememberedSessions = false

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
        var context = context
        if acceptsRememberedSessions, let live = sessions.remembered(userID: userID, session: session) {
            context.user = live.user
            context.unconfirmedSession = UnconfirmedSession(userID: userID, id: session, epoch: live.epoch)
        } else {
            guard let live = try await sessions.fromStore(userID: userID, session: session) else {
                throw unauthenticated(SessionCheck.endedDetail)
            }
            context.user = live.user
        }
        return try await next(request, context)
    }

    private func unauthenticated(_ detail: String) -> Problem {
        Problem.unauthenticated(detail, scheme: scheme)
    }
}
