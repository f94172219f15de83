import BookcatAccounts
import Foundation

/// What the HTTP server needs to know: its address, its limits, how it signs and checks tokens, and who may skip the
/// cache. Plain values: the composition root (`BookcatApp`'s `AppConfiguration`) reads them from the environment.
public struct ServerConfiguration: Sendable {
    public enum Mode: String, Sendable {
        case development
        case production
    }

    public var mode: Mode = .development
    public var host: String = "127.0.0.1"
    public var port: Int = 8000
    /// HMAC key for signing tokens; nil in development means "generate an ephemeral one".
    public var jwtSecret: String?
    public var jwtAlgorithm: JWTAlgorithmName = .hs256
    /// The scheme word clients put before the token in `Authorization`.
    public var authScheme: String = "Bearer"
    public var accessTokenTTL: Int = 900
    public var refreshTokenTTL: Int = 7 * 24 * 3600
    public var bcryptCost: Int = 12
    /// Password checks and hashes running at once, each on a thread of its own; costly ones (imported PBKDF2
    /// hashes) may take at most half of them (see `PasswordWork`).
    public var passwordChecksConcurrent: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Password checks that may wait for a thread, in each lane; beyond it a login is answered 503 at once.
    public var passwordQueueLength: Int = 64
    /// Milliseconds a password check may wait for a thread before it is answered 503.
    public var passwordQueueWaitMilliseconds: Int = 5_000
    /// Behind a reverse proxy, the client address is the last `X-Forwarded-For` entry (the one the proxy saw);
    /// otherwise it is the socket's peer, and the header is ignored because anyone can send it.
    public var trustForwardedFor = false
    /// Who may skip the cache with `Cache-Control: no-cache`/`no-store`: an uncached listing can cost hundreds of
    /// milliseconds of CPU, so by default only admins may ask for one.
    public var cacheBypass: CacheBypass = .admins
    /// Uncached renders one account may have running at once; beyond it the directive is ignored.
    public var cacheBypassPerAccount: Int = 2
    /// Uncached listing renders (misses) one member account may cause per minute, after a burst of `rendersBurst`;
    /// admins are not counted.
    public var rendersPerMinute: Int = 120
    public var rendersBurst: Int = 300
    /// Members' uncached listing renders running at once in the process; one beyond waits up to 5 s for a turn.
    public var rendersConcurrent: Int = 2 * ProcessInfo.processInfo.activeProcessorCount
    /// When set, `GET /metrics` answers only `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// Seconds a connection may sit idle between requests before it is closed.
    public var idleTimeout: Int = 30
    /// Seconds a client has to send a request's headers, counted from its first byte.
    public var headerTimeout: Int = 10
    /// Seconds a client has to send a request's body, counted from its headers.
    public var bodyTimeout: Int = 30
    /// Seconds a client has to read a response, counted from its first byte being written.
    public var responseTimeout: Int = 30
    /// Seconds a stopping server (SIGTERM, SIGINT) gives the requests it is running to finish; past it they are
    /// cancelled and the process exits with an error. Below a container runtime's kill timeout (Docker's is 10 s).
    public var drainTimeout: Int = 8
    /// Open connections beyond this are closed as soon as they are accepted, with a warning.
    public var maxConnections: Int = 1024
    /// Open connections one client address may hold; beyond it a connection is closed as soon as it is accepted.
    /// Not applied when `trustForwardedFor` is set: behind a proxy every connection comes from the proxy.
    public var maxConnectionsPerAddress: Int = 128
    /// Seconds after a refresh token is used during which presenting it again gets a fresh pair instead of ending
    /// the session: a client retrying a refresh whose answer it never saw.
    public var refreshReuseGrace: Int = 10
    /// The most copies one loan may take: a library lends a few copies at a time, and without a limit one member
    /// could empty the shelf of a book in one request.
    public var loanMaxQuantity: Int = 10
    /// `PUBLIC_URL` and `ALLOWED_HOSTS`: what the listing's `next`/`previous` links are absolute on, if anything.
    public var publicLinks = PublicLinks()

    /// Who may ask for an uncached response.
    public enum CacheBypass: String, Sendable, CaseIterable {
        case admins
        case everyone
        case nobody
    }

    /// HMAC algorithms tokens may be signed with.
    /// The HMAC algorithms tokens may be signed with (defined with the token service).
    public typealias JWTAlgorithmName = BookcatAccounts.JWTAlgorithmName

    public init() {}
}

extension ServerConfiguration.Mode: CaseIterable {}
