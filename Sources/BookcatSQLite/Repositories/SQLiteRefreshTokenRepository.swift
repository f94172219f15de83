import BookcatCore
import Foundation
import GRDB

struct SQLiteRefreshTokenRepository: RefreshTokenRepository {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit

    func store(_ token: RefreshTokenRecord, whilePasswordHashIs passwordHash: String) async throws -> Bool {
        try await commits.write { db in
            // Writes are serialised, so the hash read here is still the account's when the token is inserted.
            let current = try String.fetchOne(db, sql: "SELECT password_hash FROM user WHERE id = ?", arguments: [token.userID])
            guard current == passwordHash else { return false }
            try RefreshTokenRow(token).insert(db)
            return true
        }
    }

    func rotate(presentedHash: String, successor: RefreshTokenRecord, now: Date, grace: TimeInterval) async throws -> RefreshRotation {
        try await commits.write { db in
            guard var presented = try RefreshTokenRow.filter(RefreshTokenRow.Columns.tokenHash == presentedHash).fetchOne(db),
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
            presented.usedAt = now
            try presented.update(db)
            try RefreshTokenRow(successor).insert(db)
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

    private func revokeFamily(_ db: Database, familyID: String, now: Date) throws {
        _ =
            try RefreshTokenRow
            .filter(RefreshTokenRow.Columns.familyID == familyID && RefreshTokenRow.Columns.revokedAt == nil)
            .updateAll(db, RefreshTokenRow.Columns.revokedAt.set(to: now))
    }
}
