import BookcatCore
import Foundation
import GRDB

struct SQLiteUserRepository: UserRepository {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit
    /// When accounts are created and sessions end.
    let clock: WallClock

    // MARK: - Writes

    func create(_ user: NewUser) async throws -> User {
        try await commits.write { db in
            try ensureAvailable(db, email: user.email, username: user.username, exceptUserID: nil)
            var record = UserRecord(
                id: nil,
                email: user.email,
                username: user.username,
                passwordHash: user.passwordHash,
                role: user.role.rawValue,
                createdAt: clock.now()
            )
            try record.insert(db)
            return record.user
        }
    }

    func update(id: Int64, username: String?, passwordHash: String?) async throws -> User {
        try await commits.write { db in
            guard var record = try UserRecord.fetchOne(db, id: id) else { throw CatalogError.noSuchUser(id) }
            if let username {
                try ensureAvailable(db, email: nil, username: username, exceptUserID: id)
                record.username = username
            }
            if let passwordHash { record.passwordHash = passwordHash }
            try record.update(db)
            if passwordHash != nil {
                // In the same transaction: a login in flight either stored its token before, and it is revoked
                // here, or stores it after and finds the hash it verified gone (`store(_:whilePasswordHashIs:)`).
                _ =
                    try RefreshTokenRow
                    .filter(RefreshTokenRow.Columns.userID == id && RefreshTokenRow.Columns.revokedAt == nil)
                    .updateAll(db, RefreshTokenRow.Columns.revokedAt.set(to: clock.now()))
            }
            return record.user
        }
    }

    func delete(id: Int64) async throws {
        try await commits.write { db in
            let onLoan = try LoanRecord.filter(LoanRecord.Columns.userID == id && LoanRecord.Columns.isReturned == false).fetchCount(db)
            if onLoan > 0 {
                throw CatalogError.accountHasLoans(onLoan: onLoan)
            }
            guard try UserRecord.deleteOne(db, key: id) else { throw CatalogError.noSuchUser(id) }
        }
    }

    // MARK: - Reads

    func user(id: Int64) async throws -> User? {
        try await writer.read { db in try UserRecord.fetchOne(db, id: id)?.user }
    }

    /// Runs on every authenticated request, so it is kept lean: one indexed query (a cached prepared statement) finds
    /// the account and checks that its session still has a refresh token neither revoked nor expired; columns are
    /// read by position rather than through Codable; and no transaction is opened, since one SELECT is atomic.
    func liveSession(userID: Int64, session: String) async throws -> LiveSession? {
        let now = clock.now()
        return try await writer.unsafeRead { db in
            // One SELECT is atomic: the account, the session's end and the epoch come from one snapshot.
            let statement = try db.cachedStatement(
                sql: """
                    SELECT id, email, username, password_hash, role, created_at,
                      (SELECT MAX(expires_at) FROM refresh_token
                       WHERE family_id = ? AND user_id = user.id AND revoked_at IS NULL AND expires_at > ?),
                      (SELECT epoch FROM session_epoch WHERE id = 1)
                    FROM user WHERE id = ?
                    """
            )
            guard let row = try Row.fetchOne(statement, arguments: [session, now, userID]), let endsAt: Date = row[6] else { return nil }
            let user = User(
                id: row[0],
                email: row[1],
                username: row[2],
                passwordHash: row[3],
                role: Role(rawValue: row[4]) ?? .user,
                createdAt: row[5]
            )
            return LiveSession(user: user, endsAt: endsAt, epoch: row[7])
        }
    }

    func user(email: String) async throws -> User? {
        try await writer.read { db in try UserRecord.filter(UserRecord.Columns.email == email).fetchOne(db)?.user }
    }

    func user(username: String) async throws -> User? {
        try await writer.read { db in
            try UserRecord.filter(UserRecord.Columns.usernameKey == UsernameSkeleton.of(username)).fetchOne(db)?.user
        }
    }

    func ensureAvailable(email: String, username: String) async throws {
        try await writer.read { db in try ensureAvailable(db, email: email, username: username, exceptUserID: nil) }
    }

    func allUsers() async throws -> [User] {
        try await writer.read { db in try UserRecord.order(Column("id")).fetchAll(db).map(\.user) }
    }

    /// Checked inside the write transaction, so the answer still holds when the row is written; the
    /// unique indexes (NOCASE) remain the last line of defence.
    private func ensureAvailable(_ db: Database, email: String?, username: String?, exceptUserID: Int64?) throws {
        var errors: [String] = []
        // The account itself is left out in SQL, not after: each condition can match two rows, and the one fetched
        // must not be the account while another holds the name.
        let others = UserRecord.filter(Column("id") != exceptUserID)
        if let email,
            try others.filter(UserRecord.Columns.email == email || UserRecord.Columns.usernameKey == UsernameSkeleton.of(email)).fetchCount(db) > 0
        {
            errors.append(AccountConflict.emailTaken)
        }
        // Nor may a username be another account's e-mail: a sign-in page shows either in the same place.
        if let username,
            try others.filter(UserRecord.Columns.usernameKey == UsernameSkeleton.of(username) || UserRecord.Columns.email == username.lowercased())
                .fetchCount(db) > 0
        {
            errors.append(AccountConflict.usernameTaken)
        }
        if !errors.isEmpty { throw CatalogError.conflict(errors.joined(separator: "; ")) }
    }
}
