import BookcatCore
import Foundation
import Synchronization

/// Accounts, unique by e-mail and by username's skeleton, as the SQL stores keep them.
struct InMemoryUsers: UserRepository {
    let catalog: InMemoryCatalog

    func create(_ new: NewUser) async throws -> User {
        try catalog.state.withLock { state in
            try Self.ensureAvailable(state, email: new.email, username: new.username, except: nil)
            let user = User(
                id: state.nextID(),
                email: new.email.lowercased(),
                username: new.username,
                passwordHash: new.passwordHash,
                role: new.role,
                createdAt: catalog.clock.now()
            )
            state.users[user.id] = user
            return user
        }
    }

    func ensureAvailable(email: String, username: String) async throws {
        try catalog.state.withLock { try Self.ensureAvailable($0, email: email, username: username, except: nil) }
    }

    func user(id: Int64) async throws -> User? { catalog.state.withLock { $0.users[id] } }

    func liveSession(userID: Int64, session: String) async throws -> LiveSession? {
        let now = catalog.clock.now()
        return catalog.state.withLock { state in
            state.sessionLookups += 1
            guard let user = state.users[userID] else { return nil }
            let live = state.tokens.values.filter { $0.userID == userID && $0.familyID == session && $0.revokedAt == nil }
            guard let endsAt = live.map(\.expiresAt).max(), endsAt > now else { return nil }
            return LiveSession(user: user, endsAt: endsAt, epoch: state.versions.sessions)
        }
    }

    func user(email: String) async throws -> User? {
        catalog.state.withLock { state in state.users.values.first { $0.email == email.lowercased() } }
    }

    func user(username: String) async throws -> User? {
        let skeleton = UsernameSkeleton.of(username)
        return catalog.state.withLock { state in state.users.values.first { UsernameSkeleton.of($0.username) == skeleton } }
    }

    func allUsers() async throws -> [User] { catalog.state.withLock { $0.users.values.sorted { $0.id < $1.id } } }

    func update(id: Int64, username: String?, passwordHash: String?) async throws -> User {
        try catalog.state.withLock { state in
            guard var user = state.users[id] else { throw CatalogError.noSuchUser(id) }
            try Self.ensureAvailable(state, email: nil, username: username, except: id)
            if let username { user.username = username }
            if let passwordHash, passwordHash != user.passwordHash {
                user.passwordHash = passwordHash
                // No session started with the old password outlives the change.
                for (hash, token) in state.tokens where token.userID == id && token.revokedAt == nil {
                    state.tokens[hash]?.revokedAt = catalog.clock.now()
                }
            }
            state.users[id] = user
            state.versions.sessions += 1
            return user
        }
    }

    func delete(id: Int64) async throws {
        try catalog.state.withLock { state in
            guard state.users[id] != nil else { throw CatalogError.noSuchUser(id) }
            let onLoan = state.loans.values.filter { $0.userID == id && !$0.isReturned }.count
            if onLoan > 0 {
                throw CatalogError.accountHasLoans(onLoan: onLoan)
            }
            state.users[id] = nil
            state.tokens = state.tokens.filter { $0.value.userID != id }
            state.loans = state.loans.filter { $0.value.userID != id }
            state.versions.sessions += 1
        }
    }

    /// An e-mail may not be another account's e-mail or username, nor a username either of another's.
    private static func ensureAvailable(_ state: InMemoryCatalog.State, email: String?, username: String?, except: Int64?) throws {
        let others = state.users.values.filter { $0.id != except }
        var errors: [String] = []
        if let email = email?.lowercased(),
            others.contains(where: { $0.email == email || UsernameSkeleton.of($0.username) == UsernameSkeleton.of(email) })
        {
            errors.append(AccountConflict.emailTaken)
        }
        if let username,
            others.contains(where: { UsernameSkeleton.of($0.username) == UsernameSkeleton.of(username) || $0.email == username.lowercased() })
        {
            errors.append(AccountConflict.usernameTaken)
        }
        if !errors.isEmpty { throw CatalogError.conflict(errors.joined(separator: "; ")) }
    }
}
