import BookcatCore

/// Creates accounts with validated credentials; shared by `POST /users` and `bookcat user create`.
public struct AccountRegistrar: Sendable {
    public let users: any UserRepository
    public let hasher: PasswordHasher

    /// Without a username (the Django service made it optional) the account gets one derived from its e-mail
    /// (``DerivedUsername/forSignup(fromEmail:randomOnes:)``): the first candidate no account has.
    public func register(email: String, username: String?, password: String, role: Role) async throws -> User {
        var check = ValidationCollector()
        let email = check.email(email)
        var username = username.map { check.username($0) }
        let password = check.newPassword(password)
        try check.check()
        if username == nil {
            // Looked up one by one: each is an indexed read, and a random suffix is all but never taken. The write
            // checks again; a signup that races for the same name gets a 409 and may simply retry.
            for candidate in DerivedUsername.forSignup(fromEmail: email)
            where try await users.user(username: candidate) == nil {
                username = candidate
                break
            }
            guard username != nil else {
                throw CatalogError.conflict("no free username could be derived from the e-mail; choose one")
            }
        }
        let chosen = username!
        // Before bcrypt, which costs a pool thread hundreds of milliseconds: a taken name must not be a cheap way
        // to keep the pool busy. The write still checks again inside its transaction.
        try await users.ensureAvailable(email: email, username: chosen)
        let hash = try await hasher.hash(password)
        return try await users.create(NewUser(email: email, username: chosen, passwordHash: hash, role: role))
    }
}

/// Creates an account directly in the store, hashed with the configured bcrypt cost.
public func createAccount(
    bcryptCost: Int,
    users: any UserRepository,
    email: String,
    username: String,
    password: String,
    role: Role
) async throws -> User {
    let registrar = AccountRegistrar(users: users, hasher: PasswordHasher(cost: bcryptCost))
    return try await registrar.register(email: email, username: username, password: password, role: role)
}
