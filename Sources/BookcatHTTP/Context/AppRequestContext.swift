import BookcatAccounts
import BookcatCore
import Foundation
import Hummingbird

/// The context of every request: Hummingbird's core plus the authenticated account, once known.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``Authenticator`` on routes that require a token.
    public var user: User?
    /// Set by ``Authenticator`` when `user` comes from memory, not from the store, during this request.
    public var unconfirmedSession: UnconfirmedSession?
    /// The peer's IP address, for login throttling; nil when there is no socket (in-process tests).
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Request bodies above this get 413.
    public var maxUploadSize: Int { 1024 * 1024 }
    public var responseEncoder: JSONEncoder { JSONCoding.makeEncoder() }
}

/// The context of routes behind ``Authenticator``: the account is always present.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let user: User
    /// Set when `user` comes from this process's memory of the session: ``CachedReads`` confirms it before it answers.
    public let unconfirmedSession: UnconfirmedSession?
    /// The peer's IP address, for throttling password checks; nil when there is no socket (in-process tests).
    public let peerAddress: String?

    public init(context: AppRequestContext) throws {
        guard let user = context.user else { throw CatalogError.unauthenticated("an access token is required") }
        self.coreContext = context.coreContext
        self.user = user
        self.unconfirmedSession = context.unconfirmedSession
        self.peerAddress = context.peerAddress
    }

    public var maxUploadSize: Int { 1024 * 1024 }
    public var responseEncoder: JSONEncoder { JSONCoding.makeEncoder() }

    /// Throws 403 unless the caller is an admin.
    func requireAdmin() throws {
        guard user.isAdmin else { throw CatalogError.forbidden("this action needs the admin role") }
    }

    /// Throws 403 unless the caller is `userID` or an admin.
    func requireSelfOrAdmin(_ userID: Int64, resource: String) throws {
        guard user.id == userID || user.isAdmin else { throw CatalogError.forbidden("\(resource) belongs to another account") }
    }
}
