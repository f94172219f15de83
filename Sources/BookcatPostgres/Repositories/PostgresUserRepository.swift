import BookcatCore
import Foundation
import PostgresNIO

struct PostgresUserRepository: UserRepository {
    let sql: SQLRunner
    /// When accounts are created and sessions end.
    let clock: WallClock

    static let columns = "id, email, username, password_hash, role, created_at"
    typealias Row = (Int64, String, String, String, String, Date)

    static func user(_ row: Row) -> User {
        User(id: row.0, email: row.1, username: row.2, passwordHash: row.3, role: Role(rawValue: row.4) ?? .user, createdAt: row.5)
    }

    // MARK: - Writes

    func create(_ user: NewUser) async throws -> User {
        try await sql.write { db in
            try await ensureAvailable(db, email: user.email, username: user.username, exceptUserID: nil)
            // The unique indexes decide between two signups racing for one name; SQLRunner turns theirs into a conflict.
            let row = try await db.rows(
                """
                INSERT INTO "user" (email, username, username_key, password_hash, role, created_at)
                VALUES (\(user.email), \(user.username), \(UsernameSkeleton.of(user.username)), \(user.passwordHash), \(user.role.rawValue), \(clock.now()))
                RETURNING id, email, username, password_hash, role, created_at
                """
            ).decode(Row.self).firstElement()
            return Self.user(row!)
        }
    }

    func update(id: Int64, username: String?, passwordHash: String?) async throws -> User {
        try await sql.write { db in
            if let username { try await ensureAvailable(db, email: nil, username: username, exceptUserID: id) }
            let row = try await db.rows(
                """
                UPDATE "user" SET
                  username = COALESCE(\(username), username),
                  username_key = COALESCE(\(username.map(UsernameSkeleton.of)), username_key),
                  password_hash = COALESCE(\(passwordHash), password_hash)
                WHERE id = \(id)
                RETURNING id, email, username, password_hash, role, created_at
                """
            ).decode(Row.self).firstElement()
            guard let row else { throw CatalogError.noSuchUser(id) }
            if passwordHash != nil {
                // After the UPDATE above, which holds the account's row: a login storing its token (FOR SHARE on
                // that row) has either committed already, and is revoked here, or will read the new hash.
                try await db.execute("UPDATE refresh_token SET revoked_at = \(clock.now()) WHERE user_id = \(id) AND revoked_at IS NULL")
            }
            return Self.user(row)
        }
    }

    func delete(id: Int64) async throws {
        try await sql.write { db in
            // The account's row is locked first, so no loan can be taken out between the count and the delete.
            guard try await db.execute("SELECT id FROM \"user\" WHERE id = \(id) FOR UPDATE") == 1 else {
                throw CatalogError.noSuchUser(id)
            }
            let onLoan = try await db.rows("SELECT count(*) FROM loan WHERE user_id = \(id) AND NOT is_returned").decode(Int.self).firstElement() ?? 0
            if onLoan > 0 {
                throw CatalogError.accountHasLoans(onLoan: onLoan)
            }
            try await db.execute("DELETE FROM \"user\" WHERE id = \(id)")
        }
    }

    // MARK: - Reads

    func user(id: Int64) async throws -> User? {
        try await fetchOne("SELECT \(unescaped: Self.columns) FROM \"user\" WHERE id = \(id)")
    }

    /// Runs on every authenticated request whose session the process cannot vouch for from memory: one statement
    /// (one snapshot) finds the account, the end of its session and the session epoch.
    func liveSession(userID: Int64, session: String) async throws -> LiveSession? {
        let now = clock.now()
        return try await sql.read { db in
            let row = try await db.rows(
                """
                SELECT id, email, username, password_hash, role, created_at,
                  (SELECT max(expires_at) FROM refresh_token
                   WHERE family_id = \(session) AND user_id = "user".id AND revoked_at IS NULL AND expires_at > \(now)),
                  (SELECT epoch FROM session_epoch WHERE id = 1)
                FROM "user" WHERE id = \(userID)
                """
            ).decode((Int64, String, String, String, String, Date, Date?, Int64).self).firstElement()
            guard let row, let endsAt = row.6 else { return nil }
            let user = Self.user((row.0, row.1, row.2, row.3, row.4, row.5))
            return LiveSession(user: user, endsAt: endsAt, epoch: row.7)
        }
    }

    func user(email: String) async throws -> User? {
        try await fetchOne("SELECT \(unescaped: Self.columns) FROM \"user\" WHERE lower(email COLLATE \"C\") = lower(\(email) COLLATE \"C\")")
    }

    func user(username: String) async throws -> User? {
        try await fetchOne("SELECT \(unescaped: Self.columns) FROM \"user\" WHERE username_key = \(UsernameSkeleton.of(username))")
    }

    func ensureAvailable(email: String, username: String) async throws {
        try await sql.read { db in try await ensureAvailable(db, email: email, username: username, exceptUserID: nil) }
    }

    func allUsers() async throws -> [User] {
        try await sql.read { db in
            try await db.rows("SELECT \(unescaped: Self.columns) FROM \"user\" ORDER BY id").decode(Row.self).collect().map(Self.user)
        }
    }

    private func fetchOne(_ query: PostgresQuery) async throws -> User? {
        try await sql.read { db in try await db.rows(query).decode(Row.self).firstElement().map(Self.user) }
    }

    /// Checked inside the write transaction for a clear message naming every taken field; the unique indexes
    /// remain the last line of defence against a concurrent writer.
    private func ensureAvailable(_ db: Transaction, email: String?, username: String?, exceptUserID: Int64?) async throws {
        var errors: [String] = []
        // The account itself is left out in SQL, not after: each condition can match two rows, and the one fetched
        // must not be the account while another holds the name.
        if let email,
            try await db.rows(
                """
                SELECT id FROM "user"
                WHERE (lower(email COLLATE "C") = lower(\(email) COLLATE "C") OR username_key = \(UsernameSkeleton.of(email)))
                  AND id IS DISTINCT FROM \(exceptUserID)
                """
            ).decode(Int64.self).firstElement() != nil
        {
            errors.append(AccountConflict.emailTaken)
        }
        if let username,
            // Nor may it be another account's e-mail: a sign-in page shows either in the same place.
            try await db.rows(
                """
                SELECT id FROM "user"
                WHERE (username_key = \(UsernameSkeleton.of(username)) OR lower(email COLLATE "C") = lower(\(username) COLLATE "C"))
                  AND id IS DISTINCT FROM \(exceptUserID)
                """
            ).decode(Int64.self).firstElement() != nil
        {
            errors.append(AccountConflict.usernameTaken)
        }
        if !errors.isEmpty { throw CatalogError.conflict(errors.joined(separator: "; ")) }
    }
}
