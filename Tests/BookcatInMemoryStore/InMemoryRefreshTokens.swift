import BookcatCore
import Foundation
import Synchronization

/// Refresh tokens by hash: each works once, a retry within the grace gets the same answer, a reuse ends the family.
struct InMemoryRefreshTokens: RefreshTokenRepository {
    let catalog: InMemoryCatalog

    func store(_ token: RefreshTokenRecord, whilePasswordHashIs passwordHash: String, replacingItWith replacement: String?) async throws -> Bool {
        catalog.state.withLock { state in
            guard let user = state.users[token.userID], user.passwordHash == passwordHash else { return false }
            if let replacement { state.users[token.userID]?.passwordHash = replacement }
            state.tokens[token.tokenHash] = token
            return true
        }
    }

    func rotate(presentedHash: String, successor: RefreshTokenRecord, now: Date, grace: TimeInterval) async throws -> RefreshRotation {
        catalog.state.withLock { state in
            guard let token = state.tokens[presentedHash], token.userID == successor.userID, token.familyID == successor.familyID,
                state.users[token.userID] != nil, token.expiresAt > now
            else { return .unknown }
            if token.revokedAt == nil, let usedAt = token.usedAt, now.timeIntervalSince(usedAt) < grace {
                return .retried(userID: token.userID, usedAt: usedAt)
            }
            if token.revokedAt != nil || token.usedAt != nil {
                Self.revoke(family: token.familyID, in: &state, now: now)
                return .reuseDetected
            }
            state.tokens[presentedHash]?.usedAt = now
            state.tokens[successor.tokenHash] = successor
            // A session's rows stay bounded: only the most recently used are remembered.
            let used = state.tokens.values.filter { $0.familyID == token.familyID && $0.usedAt != nil }
                .sorted { $0.usedAt! > $1.usedAt! }
            for forgotten in used.dropFirst(Self.usedTokensKept) { state.tokens[forgotten.tokenHash] = nil }
            state.versions.sessions += 1
            return .rotated(userID: token.userID)
        }
    }

    func revokeFamily(ofTokenHash tokenHash: String, userID: Int64, now: Date) async throws -> Bool {
        catalog.state.withLock { state in
            guard let token = state.tokens[tokenHash], token.userID == userID else { return false }
            Self.revoke(family: token.familyID, in: &state, now: now)
            return true
        }
    }

    func purge(now: Date, limit: Int) async throws -> Int {
        catalog.state.withLock { state in
            let dead = state.tokens.values.filter { $0.expiresAt <= now || $0.revokedAt != nil }.prefix(limit)
            for token in dead { state.tokens[token.tokenHash] = nil }
            return dead.count
        }
    }

    private static func revoke(family: String, in state: inout InMemoryCatalog.State, now: Date) {
        for (hash, token) in state.tokens where token.familyID == family && token.revokedAt == nil {
            state.tokens[hash]?.revokedAt = now
        }
        state.versions.sessions += 1
    }
}
