import BookcatCore
import Foundation

/// Signup, login, token rotation and account changes: the rules around credentials, independent of HTTP.
struct AccountService: Sendable {
    let users: any UserRepository
    let refreshTokens: any RefreshTokenRepository
    let hasher: PasswordHasher
    let tokens: TokenService
    let throttle: any LoginThrottle
    /// Seconds after a refresh token's use during which presenting it again still works (see `rotate`).
    let refreshReuseGrace: TimeInterval
    /// Verified when a login names no account, so both failures cost one bcrypt verification.
    let decoyHash: String
    let clock: WallClock
    let refusals: ThrottleRefusals

    static var invalidCredentials: CatalogError { .unauthenticated("the email/username or password is incorrect") }
    static var invalidRefreshToken: CatalogError { .unauthenticated("the refresh token is invalid, expired or already used") }

    // MARK: - Accounts

    /// `client` is who asks: each address may sign up only so often, since every signup costs a bcrypt hash.
    func signUp(email: String, username: String, password: String, client: String) async throws -> User {
        if let wait = try await throttle.reserveSignup(client: client) {
            throw refusals.refuse(.signups, retryAfter: wait)
        }
        return try await AccountRegistrar(users: users, hasher: hasher).register(email: email, username: username, password: password, role: .user)
    }

    /// `client` is who asks, for the throttle: a wrong `current_password` counts toward the account's lockout
    /// exactly like a failed login, so a stolen access token cannot be used to guess the password.
    func update(_ user: User, username: String?, newPassword: String?, currentPassword: String?, client: String) async throws -> User {
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
        let updated = try await users.update(id: user.id, username: username, passwordHash: hash)
        if hash != nil {
            // A changed password must end every session that might have been started with the old one.
            try await refreshTokens.revokeAll(userID: user.id, now: clock.now())
        }
        return updated
    }

    func delete(_ user: User, password: String, client: String) async throws {
        try await proveCurrentPassword(password, of: user, client: client, field: "password")
        try await users.delete(id: user.id)
    }

    /// Checks a signed-in account's password under the login throttle. 403, not 400, when it is wrong: the request
    /// is well formed, the proof of identity is what failed.
    private func proveCurrentPassword(_ password: String, of user: User, client: String, field: String) async throws {
        let key = Self.throttleKey(account: user)
        if let wait = try await throttle.reserveAttempt(account: key, client: client) {
            throw refusals.refuse(.logins, retryAfter: wait)
        }
        guard try await hasher.verify(password, against: user.passwordHash) else {
            throw CatalogError.forbidden("\(field) is incorrect")
        }
        try await throttle.recordSuccess(account: key, client: client)
    }

    /// What the throttle counts an existing account's attempts under: its id, so switching between e-mail and
    /// username (or their spellings) does not reset the count. A login naming no account is counted under the
    /// normalised identifier instead, so a 429 does not reveal whether an account exists.
    static func throttleKey(account: User) -> String { "account:\(account.id)" }

    /// An identifier that names no account is counted by its hash: what strangers type at a login prompt (often a
    /// password in the wrong field) is not stored in clear text.
    static func throttleKey(identifier: String) -> String { "identifier:" + TokenService.hash(identifier) }

    // MARK: - Sessions

    /// Throws ``TooManyAttempts`` while `client` or the named account is locked out by failed attempts.
    func logIn(email: String?, username: String?, password: String, client: String) async throws -> TokenResponse {
        let identifier: String
        let account: User?
        switch (email, username) {
        case (let email?, nil):
            let email = email.trimmingCharacters(in: .whitespaces).lowercased()
            identifier = "email:" + email
            account = try await users.user(email: email)
        case (nil, let username?):
            let username = username.trimmingCharacters(in: .whitespaces)
            identifier = "username:" + username.lowercased()
            account = try await users.user(username: username)
        default:
            throw CatalogError.invalid(field: "email", "give exactly one of email or username")
        }
        // Reserved before the password is checked: concurrent guesses cannot all slip in under the limit.
        let key = account.map(Self.throttleKey(account:)) ?? Self.throttleKey(identifier: identifier)
        if let wait = try await throttle.reserveAttempt(account: key, client: client) {
            throw refusals.refuse(.logins, retryAfter: wait)
        }
        let matches = try await hasher.verify(password, against: account?.passwordHash ?? decoyHash)
        guard let account, matches else {
            throw Self.invalidCredentials
        }
        try await throttle.recordSuccess(account: key, client: client)
        return try await issueTokens(for: account.id, familyID: nil)
    }

    func refresh(_ refreshToken: String) async throws -> TokenResponse {
        guard let claims = await tokens.verify(refreshToken, as: .refresh), let userID = claims.userID, let family = claims.fam else {
            throw Self.invalidRefreshToken
        }
        let now = clock.now()
        let successor = try await tokens.refreshToken(for: userID, familyID: family, now: now)
        let presented = TokenService.hash(refreshToken)
        switch try await refreshTokens.rotate(presentedHash: presented, successor: successor.record, now: now, grace: refreshReuseGrace) {
        case .rotated:
            return TokenResponse(
                accessToken: try await tokens.accessToken(for: userID, session: family, now: now),
                refreshToken: successor.token,
                expiresIn: Int(tokens.accessTTL)
            )
        case .reuseDetected, .unknown:
            throw Self.invalidRefreshToken
        }
    }

    func logOut(_ user: User, refreshToken: String) async throws {
        guard let claims = await tokens.verify(refreshToken, as: .refresh) else {
            throw CatalogError.invalid(field: "refresh_token", "is not a valid refresh token")
        }
        guard claims.userID == user.id else { throw CatalogError.forbidden("the refresh token belongs to another account") }
        _ = try await refreshTokens.revokeFamily(ofTokenHash: TokenService.hash(refreshToken), userID: user.id, now: clock.now())
    }

    private func issueTokens(for userID: Int64, familyID: String?) async throws -> TokenResponse {
        let refresh = try await tokens.refreshToken(for: userID, familyID: familyID)
        try await refreshTokens.store(refresh.record)
        return TokenResponse(
            accessToken: try await tokens.accessToken(for: userID, session: refresh.record.familyID),
            refreshToken: refresh.token,
            expiresIn: Int(tokens.accessTTL)
        )
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
