import BookcatCore
import Foundation
import PostgresNIO

struct PostgresRefreshTokenRepository: RefreshTokenRepository {
    let sql: SQLRunner

    func store(_ token: RefreshTokenRecord, whilePasswordHashIs passwordHash: String, replacingItWith replacement: String?) async throws -> Bool {
        try await sql.write { db in
            // FOR SHARE waits for a password change or deletion in flight and then reads what it committed; while
            // held, it makes such a change wait until this token is stored, so the change's revocation sees it.
            // An upgrade writes the row, so it locks it for update instead: two first logins of one imported
            // account take turns, and the second finds the hash already replaced.
            let lock = replacement == nil ? "FOR SHARE" : "FOR UPDATE"
            let current = try await db.rows("SELECT password_hash FROM \"user\" WHERE id = \(token.userID) \(unescaped: lock)")
                .decode(String.self).firstElement()
            guard current == passwordHash else { return false }
            if let replacement {
                try await db.execute("UPDATE \"user\" SET password_hash = \(replacement) WHERE id = \(token.userID)")
            }
            try await insert(db, token)
            return true
        }
    }

    func rotate(presentedHash: String, successor: RefreshTokenRecord, now: Date, grace: TimeInterval) async throws -> RefreshRotation {
        try await sql.write { db in
            // Locked for the rest of the transaction: of two replicas presenting the same token at once, the second
            // waits and then sees it used, so one token never rotates twice outside the grace window.
            let row = try await db.rows(
                """
                SELECT user_id, family_id, expires_at, used_at, revoked_at FROM refresh_token
                WHERE token_hash = \(presentedHash) FOR UPDATE
                """
            ).decode((Int64, String, Date, Date?, Date?).self).firstElement()
            guard let (userID, familyID, expiresAt, usedAt, revokedAt) = row, userID == successor.userID, familyID == successor.familyID
            else { return .unknown }
            guard expiresAt > now else { return .unknown }
            if let usedAt, revokedAt == nil, now.timeIntervalSince(usedAt) < grace {
                return .retried(userID: userID, usedAt: usedAt)
            }
            if usedAt != nil || revokedAt != nil {
                try await revokeFamily(db, familyID: familyID, now: now)
                return .reuseDetected
            }
            try await db.execute("UPDATE refresh_token SET used_at = \(now) WHERE token_hash = \(presentedHash)")
            try await insert(db, successor)
            try await db.execute(
                """
                DELETE FROM refresh_token WHERE family_id = \(familyID) AND used_at < (
                  SELECT used_at FROM refresh_token WHERE family_id = \(familyID) AND used_at IS NOT NULL
                  ORDER BY used_at DESC LIMIT 1 OFFSET \(Self.usedTokensKept - 1))
                """
            )
            return .rotated(userID: userID)
        }
    }

    func revokeFamily(ofTokenHash tokenHash: String, userID: Int64, now: Date) async throws -> Bool {
        try await sql.write { db in
            let familyID = try await db.rows("SELECT family_id FROM refresh_token WHERE token_hash = \(tokenHash) AND user_id = \(userID)")
                .decode(String.self).firstElement()
            guard let familyID else { return false }
            try await revokeFamily(db, familyID: familyID, now: now)
            return true
        }
    }

    func purge(now: Date, limit: Int) async throws -> Int {
        try await sql.write { db in
            try await db.rows(
                """
                WITH gone AS (
                  DELETE FROM refresh_token WHERE token_id IN (
                    SELECT token_id FROM refresh_token WHERE expires_at <= \(now) OR revoked_at IS NOT NULL LIMIT \(limit))
                  RETURNING 1)
                SELECT count(*) FROM gone
                """
            ).decode(Int.self).firstElement() ?? 0
        }
    }

    private func insert(_ db: Transaction, _ token: RefreshTokenRecord) async throws {
        try await db.execute(
            """
            INSERT INTO refresh_token (token_id, family_id, user_id, token_hash, expires_at, used_at, revoked_at)
            VALUES (\(token.tokenID), \(token.familyID), \(token.userID), \(token.tokenHash), \(token.expiresAt), \(token.usedAt), \(token.revokedAt))
            """
        )
    }

    private func revokeFamily(_ db: Transaction, familyID: String, now: Date) async throws {
        try await db.execute("UPDATE refresh_token SET revoked_at = \(now) WHERE family_id = \(familyID) AND revoked_at IS NULL")
    }
}
