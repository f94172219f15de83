import BookcatCore
import Foundation
import GRDB

struct RefreshTokenRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "refresh_token"

    var tokenID: String
    var familyID: String
    var userID: Int64
    var tokenHash: String
    var expiresAt: Date
    var usedAt: Date?
    var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case tokenID = "token_id"
        case familyID = "family_id"
        case userID = "user_id"
        case tokenHash = "token_hash"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
        case revokedAt = "revoked_at"
    }

    enum Columns {
        static let familyID = Column(CodingKeys.familyID)
        static let userID = Column(CodingKeys.userID)
        static let tokenHash = Column(CodingKeys.tokenHash)
        static let revokedAt = Column(CodingKeys.revokedAt)
    }

    init(_ record: RefreshTokenRecord) {
        tokenID = record.tokenID
        familyID = record.familyID
        userID = record.userID
        tokenHash = record.tokenHash
        expiresAt = record.expiresAt
        usedAt = record.usedAt
        revokedAt = record.revokedAt
    }

    var record: RefreshTokenRecord {
        RefreshTokenRecord(
            tokenID: tokenID,
            familyID: familyID,
            userID: userID,
            tokenHash: tokenHash,
            expiresAt: expiresAt,
            usedAt: usedAt,
            revokedAt: revokedAt
        )
    }
}
