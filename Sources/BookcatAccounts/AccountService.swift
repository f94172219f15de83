import BookcatCore
import Foundation

/// Signup, login, token rotation and account changes: the rules around credentials, independent of HTTP.
public struct AccountService: Sendable {
    public let users: any UserRepository
    public let refreshTokens: any RefreshTokenRepository
    public let hasher: PasswordHasher
    public let tokens: TokenService
    public let throttle: any LoginThrottle
    /// Seconds after a refresh token's use during which presenting it again still works (see `rotate`).
    public let refreshReuseGrace: TimeInterval
    /// Verified when a login names no account, so both failures cost one bcrypt verification.
    public let decoyHash: String
    public let clock: WallClock
    public let refusals: ThrottleRefusals

    public init(
        users: any UserRepository,
        refreshTokens: any RefreshTokenRepository,
        hasher: PasswordHasher,
        tokens: TokenService,
        throttle: any LoginThrottle,
        refreshReuseGrace: TimeInterval,
        decoyHash: String,
        clock: WallClock,
        refusals: ThrottleRefusals
    ) {
        self.users = users
        self.refreshTokens = refreshTokens
        self.hasher = hasher
        self.tokens = tokens
        self.throttle = throttle
        self.refreshReuseGrace = refreshReuseGrace
        self.decoyHash = decoyHash
        self.clock = clock
        self.refusals = refusals
    }

    public static var invalidCredentials: CatalogError { .unauthenticated("the email/username or password is incorrect") }
    public static var invalidRefreshToken: CatalogError { .unauthenticated("the refresh token is invalid, expired or already used") }

    // MARK: - Accounts

    /// `client` is who asks: each address may sign up only so often, since every signup costs a bcrypt hash.
    public func signUp(email: String, username: String?, password: String, client: String) async throws -> User {
        if let wait = try await throttle.reserveSignup(client: client) {
            throw refusals.refuse(.signups, retryAfter: wait)
        }
        return try await AccountRegistrar(users: users, hasher: hasher).register(email: email, username: username, password: password, role: .user)
    }

    /// `client` is who asks, for the throttle: a wrong `current_password` counts toward the account's lockout
    /// exactly like a failed login, so a stolen access token cannot be used to guess the password.
    public func update(_ user: User, username: String?, newPassword: String?, currentPassword: String?, client: String) async throws -> User {
        var check = ValidationCollector()
        let username = username.map { check.username($0) }
        let newPassword = newPassword.map { check.newPassword($0) }
        if newPassword != nil, currentPassword == nil {
            check.fail("current_password", "is required to change the password")
        }
        if username == nil, newPassword == nil {
            check.fail("body", "give at least one of username or password")
        }
        try check.check()
        if let currentPassword {
            try await proveCurrentPassword(currentPassword, of: user, client: client, field: "current_password")
        }
        let hash = try await newPassword.asyncMap { try await hasher.hash($0) }
        // A changed password ends every session started with the old one, in the same transaction.
        return try await users.update(id: user.id, username: username, passwordHash: hash)
    }

    public func delete(_ user: User, password: String, client: String) async throws {
        try await proveCurrentPassword(password, of: user, client: client, field: "password")
        try await users.delete(id: user.id)
    }

    /// Checks a signed-in account's password under the throttle. 403, not 400, when it is wrong: the request is well
    /// formed, the proof of identity is what failed.
    ///
    /// Counted under the account's own key, not its login identifiers: anonymous guesses at the account's e-mail (or
    /// a thief logging in with a stolen password in a loop) lock the login prompt, never the owner's proof that
    /// they know the password, so nobody can stop an owner from changing a stolen one. Guesses through a stolen
    /// access token still count, here: five wrong ones lock this proof for the window as they lock a login.
    private func proveCurrentPassword(_ password: String, of user: User, client: String, field: String) async throws {
        let key = Self.ownerKey(of: user.id)
        if let wait = try await throttle.reserveAttempt(account: key, client: client) {
            throw refusals.refuse(.logins, retryAfter: wait)
        }
        guard try await check(password, against: user.passwordHash, identifier: key, client: client) else {
            throw CatalogError.forbidden("\(field) is incorrect")
        }
        try await throttle.recordSuccess(account: key, client: client)
    }

    /// Verifies `password` against `stored`, and every failure costs alike: with no account, or a stored hash that
    /// can never match (malformed, a scheme this service does not read), the decoy is verified instead, so timing
    /// tells neither from a wrong password. `identifier` is the throttle key (two checks running each). A check that
    /// never ran (refused as busy, or cancelled) gives its reserved attempt back: it proved nothing, and must not
    /// lock anyone out.
    private func check(_ password: String, against stored: String?, identifier: String, client: String) async throws -> Bool {
        do {
            guard let stored, hasher.canVerify(stored) else {
                _ = try await hasher.verify(password, against: decoyHash, identifier: identifier)
                return false
            }
            return try await hasher.verify(password, against: stored, identifier: identifier)
        } catch let error where error is PasswordWorkBusy || error is CancellationError {
            // In a task of its own: this one may be cancelled, and a store that heeds cancellation (PostgreSQL's
            // pool) would refuse the write.
            let throttle = self.throttle
            await Task { try? await throttle.giveBack(account: identifier, client: client) }.value
            throw error
        }
    }

    /// What an owner's `current_password` proofs are counted under: the account, by id.
    public static func ownerKey(of userID: Int64) -> String { "owner:" + String(userID) }

    /// What the throttle counts attempts under: the identifier as typed, normalised as the store matches it (an
    /// e-mail lower-cased, a username by its skeleton), whether or not an account has it. Never the account: a
    /// count shared by an account's e-mail and username would answer 429 to one after guesses at the other, telling
    /// a stranger that the two belong together and that the account exists. So each identifier has its own count
    /// (an account can be guessed at through both, twice the per-identifier limit per window), and a look-alike
    /// spelling of a username shares its count. Stored as a hash: what strangers type at a login prompt (often a
    /// password in the wrong field) is not kept in clear text.
    public static func throttleKey(identifier: String) -> String { "identifier:" + TokenService.hash(identifier) }

    /// What a login names its account by, normalised once: the form the store looks up and the throttle counts.
    private enum LoginName {
        /// Trimmed and lower-cased, as e-mails are stored.
        case email(String)
        /// Trimmed; the store and the throttle both match it by its skeleton.
        case username(String)

        init(email: String?, username: String?) throws {
            switch (email, username) {
            case (let email?, nil): self = .email(email.trimmingWhitespace().lowercased())
            case (nil, let username?): self = .username(username.trimmingWhitespace())
            default: throw CatalogError.invalid(field: "email", "give exactly one of email or username")
            }
        }

        var throttleIdentifier: String {
            switch self {
            case .email(let email): "email:" + email
            case .username(let username): "username:" + UsernameSkeleton.of(username)
            }
        }

        func account(in users: any UserRepository) async throws -> User? {
            switch self {
            case .email(let email): try await users.user(email: email)
            case .username(let username): try await users.user(username: username)
            }
        }
    }

    // MARK: - Sessions

    /// Throws ``TooManyAttempts`` while `client` or the named account is locked out by failed attempts.
    public func logIn(email: String?, username: String?, password: String, client: String) async throws -> IssuedTokens {
        let name = try LoginName(email: email, username: username)
        // Reserved before the account is looked up or the password checked: a locked identifier or address costs
        // no read, and concurrent guesses cannot all slip in under the limit.
        let key = Self.throttleKey(identifier: name.throttleIdentifier)
        if let wait = try await throttle.reserveAttempt(account: key, client: client) {
            throw refusals.refuse(.logins, retryAfter: wait)
        }
        // Twice at most: a first login that upgrades an imported (Django) hash can find that a concurrent first
        // login of the same account upgraded it already; it then verifies against that account's new bcrypt hash.
        var attempts = 0
        while true {
            attempts += 1
            let account = try await name.account(in: users)
            let matches = try await check(password, against: account?.passwordHash, identifier: key, client: client)
            guard let account, matches else {
                throw Self.invalidCredentials
            }
            if attempts == 1 { try await throttle.recordSuccess(account: key, client: client) }
            let upgrade = hasher.needsRehash(account.passwordHash, password: password) ? try await hasher.hash(Password.normalised(password)) : nil
            let refresh = try await tokens.refreshToken(for: account.id)
            // The password may have changed, or the account gone, since it was read: then this login never happened.
            guard try await refreshTokens.store(refresh.record, whilePasswordHashIs: account.passwordHash, replacingItWith: upgrade)
            else {
                if upgrade != nil, attempts == 1 { continue }
                throw Self.invalidCredentials
            }
            return IssuedTokens(
                accessToken: try await tokens.accessToken(for: account.id, session: refresh.record.familyID),
                refreshToken: refresh.token,
                expiresIn: Int(tokens.accessTTL)
            )
        }
    }

    public func refresh(_ refreshToken: String) async throws -> IssuedTokens {
        guard let claims = await tokens.verify(refreshToken, as: .refresh), let userID = claims.userID, let family = claims.fam else {
            throw Self.invalidRefreshToken
        }
        // Counted once the token is proven genuine, so only its holder spends the account's refreshes.
        if let wait = try await throttle.reserveRefresh(account: String(userID)) {
            throw refusals.refuse(.refreshes, retryAfter: wait)
        }
        // Whole seconds, as the token's claims are: a retry re-creates the successor from the time stored here.
        let now = TokenService.wholeSeconds(clock.now())
        let presented = TokenService.hash(refreshToken)
        let successor = try await tokens.refreshToken(succeeding: presented, for: userID, familyID: family, now: now)
        let issued: TokenService.IssuedRefreshToken
        switch try await refreshTokens.rotate(presentedHash: presented, successor: successor.record, now: now, grace: refreshReuseGrace) {
        case .rotated:
            issued = successor
        case .retried(_, let usedAt):
            // The same successor the first use got, not a new branch: the session stays one chain, whose reuse
            // detection still fires if an old link is presented after the grace period.
            issued = try await tokens.refreshToken(succeeding: presented, for: userID, familyID: family, now: usedAt)
        case .reuseDetected, .unknown:
            throw Self.invalidRefreshToken
        }
        return IssuedTokens(
            accessToken: try await tokens.accessToken(for: userID, session: family, now: now),
            refreshToken: issued.token,
            expiresIn: Int(tokens.accessTTL)
        )
    }

    public func logOut(_ user: User, refreshToken: String) async throws {
        guard let claims = await tokens.verify(refreshToken, as: .refresh) else {
            throw CatalogError.invalid(field: "refresh_token", "is not a valid refresh token")
        }
        guard claims.userID == user.id else { throw CatalogError.forbidden("the refresh token belongs to another account") }
        _ = try await refreshTokens.revokeFamily(ofTokenHash: TokenService.hash(refreshToken), userID: user.id, now: clock.now())
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
