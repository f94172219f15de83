import BookcatCore
import Foundation
import GRDB

struct SQLiteRefreshTokenRepository: RefreshTokenRepository {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit

    func store(_ token: RefreshTokenRecord, whilePasswordHashIs passwordHash: String, replacingItWith replacement: String?) async throws -> Bool {
        try await commits.write { db in
            // Writes are serialised, so the hash read here is still the account's when the token is inserted.
            let current = try String.fetchOne(db, sql: "SELECT password_hash FROM user WHERE id = ?", arguments: [token.userID])
            guard current == passwordHash else { return false }
            if let replacement {
                try db.execute(sql: "UPDATE user SET password_hash = ? WHERE id = ?", arguments: [replacement, token.userID])
            }
            try RefreshTokenRow(token).insert(db)
            return true
        }
    }

    func rotate(presentedHash: String, successor: RefreshTokenRecord, now: Date, grace: TimeInterval) async throws -> RefreshRotation {
        try await commits.write { db in
            guard let presented = try RefreshTokenRow.filter(RefreshTokenRow.Columns.tokenHash == presentedHash).fetchOne(db),
                presented.userID == successor.userID, presented.familyID == successor.familyID
            else { return .unknown }
            guard presented.expiresAt > now else { return .unknown }
            if let usedAt = presented.usedAt, presented.revokedAt == nil, now.timeIntervalSince(usedAt) < grace {
                return .retried(userID: presented.userID, usedAt: usedAt)
            }
            if presented.usedAt != nil || presented.revokedAt != nil {
                try revokeFamily(db, familyID: presented.familyID, now: now)
                return .reuseDetected
            }
            // Only `used_at`: an update that names `revoked_at` bumps the session epoch, and a refresh ends no session.
            try db.cachedStatement(sql: "UPDATE refresh_token SET used_at = ? WHERE token_id = ?").execute(arguments: [now, presented.tokenID])
            try RefreshTokenRow(successor).insert(db)
            try db.cachedStatement(
                sql: """
                    DELETE FROM refresh_token WHERE family_id = ?1 AND used_at < (
                      SELECT used_at FROM refresh_token WHERE family_id = ?1 AND used_at IS NOT NULL
                      ORDER BY used_at DESC LIMIT 1 OFFSET ?2)
                    """
            ).execute(arguments: [presented.familyID, Self.usedTokensKept - 1])
            return .rotated(userID: presented.userID)
        }
    }

    func revokeFamily(ofTokenHash tokenHash: String, userID: Int64, now: Date) async throws -> Bool {
        try await commits.write { db in
            guard let token = try RefreshTokenRow.filter(RefreshTokenRow.Columns.tokenHash == tokenHash).fetchOne(db), token.userID == userID
            else { return false }
            try revokeFamily(db, familyID: token.familyID, now: now)
            return true
        }
    }

    func purge(now: Date, limit: Int) async throws -> Int {
        try await commits.write { db in
            try db.execute(
                sql: """
                    DELETE FROM refresh_token WHERE token_id IN (
                      SELECT token_id FROM refresh_token WHERE expires_at <= ?1 OR revoked_at IS NOT NULL LIMIT ?2)
                    """,
                arguments: [now, limit]
            )
            return db.changesCount
        }
    }

    private func revokeFamily(_ db: Database, familyID: String, now: Date) throws {
        _ =
            try RefreshTokenRow
            .filter(RefreshTokenRow.Columns.familyID == familyID && RefreshTokenRow.Columns.revokedAt == nil)
            .updateAll(db, RefreshTokenRow.Columns.revokedAt.set(to: now))
    }
}
