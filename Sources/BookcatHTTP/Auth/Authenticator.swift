import BookcatAccounts
import BookcatCore
import Hummingbird

/// Accepts a request only with exactly one `Authorization: <scheme> <access token>` header whose token is
/// valid and whose session is live, and records that account in the context.
struct Authenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    let tokens: TokenService
    let sessions: SessionCheck
    /// Vouches for the session epoch this process knows (``ResponseCache/currentSessionEpoch()``).
    let cache: any ResponseCache
    let scheme: String
    /// On routes that read through ``CachedReads`` (which confirms it against the cache's session epoch), a session
    /// this process remembers is enough to go on: no store read on a cache hit. Everywhere else a remembered session
    /// counts only when the cache vouches for the epoch it was read at; otherwise the store decides. (Asking the
    /// store on every write cost a hop to a reader's thread, about 40% of a created book's throughput.)
    var acceptsRememberedSessions = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let fields = request.headers[values: .authorization]
        guard fields.count == 1, let field = fields.first else {
            throw unauthenticated(fields.isEmpty ? "an access token is required" : "send exactly one Authorization header")
        }
        guard let token = Self.token(in: field, scheme: scheme) else {
            throw unauthenticated("the Authorization header must be '\(scheme) <access token>'")
        }
        guard let claims = await tokens.verify(token, as: .access), let userID = claims.userID, let session = claims.sid else {
            throw unauthenticated("the access token is invalid or expired")
        }
        var context = context
        if acceptsRememberedSessions, let live = sessions.remembered(userID: userID, session: session) {
            context.user = live.user
            context.unconfirmedSession = UnconfirmedSession(userID: userID, id: session, epoch: live.epoch)
        } else if let live = sessions.remembered(userID: userID, session: session, atEpoch: cache.currentSessionEpoch()) {
            context.user = live.user
        } else {
            guard let live = try await sessions.fromStore(userID: userID, session: session) else {
                throw unauthenticated(SessionCheck.endedDetail)
            }
            context.user = live.user
        }
        return try await next(request, context)
    }

    /// The token in `<scheme> <token>`: the scheme matched without regard to ASCII case, spaces around and between
    /// the two words allowed, nothing else. Read as UTF-8 bytes: this runs on every authenticated request, and
    /// splitting the `String` by `Character`s was about 7% of a cache hit's CPU.
    static func token(in field: String, scheme: String) -> String? {
        let space = UInt8(ascii: " ")
        let bytes = field.utf8
        guard let schemeStart = bytes.firstIndex(where: { $0 != space }) else { return nil }
        let schemeEnd = bytes[schemeStart...].firstIndex(of: space) ?? bytes.endIndex
        guard let tokenStart = bytes[schemeEnd...].firstIndex(where: { $0 != space }) else { return nil }
        let tokenEnd = bytes[tokenStart...].firstIndex(of: space) ?? bytes.endIndex
        guard bytes[tokenEnd...].allSatisfy({ $0 == space }),
            bytes[schemeStart..<schemeEnd].elementsEqual(scheme.utf8, by: { Self.lowercased($0) == Self.lowercased($1) })
        else { return nil }
        return String(field[tokenStart..<tokenEnd])
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private func unauthenticated(_ detail: String) -> Problem {
        Problem.unauthenticated(detail, scheme: scheme)
    }
}
