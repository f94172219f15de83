import BookcatCore

/// Creates accounts with validated credentials; shared by `POST /users` and `bookcat user create`.
struct AccountRegistrar: Sendable {
    let users: any UserRepository
    let hasher: PasswordHasher

    func register(email: String, username: String, password: String, role: Role) async throws -> User {
        var check = ValidationCollector()
        let email = check.email(email)
        let username = check.username(username)
        let password = check.newPassword(password)
        try check.check()
        // Before bcrypt, which costs a pool thread hundreds of milliseconds: a taken name must not be a cheap way
        // to keep the pool busy. The write still checks again inside its transaction.
        try await users.ensureAvailable(email: email, username: username)
        let hash = try await hasher.hash(password)
        return try await users.create(NewUser(email: email, username: username, passwordHash: hash, role: role))
    }
}

/// Creates an account directly in the store, hashed with the configured bcrypt cost.
public func createAccount(
    configuration: AppConfiguration,
    users: any UserRepository,
    email: String,
    username: String,
    password: String,
    role: Role
) async throws -> User {
    let registrar = AccountRegistrar(users: users, hasher: PasswordHasher(cost: configuration.bcryptCost))
    return try await registrar.register(email: email, username: username, password: password, role: role)
}
