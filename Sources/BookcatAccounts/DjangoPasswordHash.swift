import Crypto
import CryptoExtras
import Foundation

/// A password hash as the Django service stored it, `pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>`, kept
/// by `bookcat import-django` so its accounts log in with the passwords they have. The first login that verifies one
/// replaces it with bcrypt (``AccountService/logIn(email:username:password:client:)``).
public struct DjangoPasswordHash: Sendable, Equatable {
    /// Django 5.1 stores 870,000 and Django 6.0 1,200,000. A stored value is data: a crafted row with 10⁹ would hold
    /// a blocking-pool thread for minutes per login attempt, so anything above this is refused unverified.
    public static let maximumIterations = 2_000_000
    public static let prefix = "pbkdf2_sha256$"

    public let iterations: Int
    public let salt: String
    public let derivedKey: Data

    /// Nil for anything that is not a well-formed Django PBKDF2-SHA256 hash within the bounds above.
    public init?(_ stored: String) {
        guard stored.hasPrefix(Self.prefix), stored.utf8.count <= 512 else { return nil }
        let parts = stored.dropFirst(Self.prefix.count).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, let iterations = Int(parts[0]), (1...Self.maximumIterations).contains(iterations),
            !parts[1].isEmpty, let derivedKey = Data(base64Encoded: String(parts[2])), derivedKey.count == 32
        else { return nil }
        (self.iterations, self.salt, self.derivedKey) = (iterations, String(parts[1]), derivedKey)
    }

    /// Whether `stored` claims to be a Django hash at all (well-formed or not): such a row is never read as bcrypt.
    public static func isDjango(_ stored: String) -> Bool { stored.hasPrefix("pbkdf2_") }

    /// PBKDF2-HMAC-SHA256 of the password as typed (Django hashes the UTF-8 bytes, not a normalised form), compared in
    /// constant time. Blocks for as long as the iterations take: call it off the event loops and the concurrency pool.
    public func matches(_ password: String) -> Bool {
        guard
            let derived = try? KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8),
                salt: Array(salt.utf8),
                using: .sha256,
                outputByteCount: 32,
                unsafeUncheckedRounds: iterations
            )
        else { return false }
        // SymmetricKey's == compares in constant time.
        return derived == SymmetricKey(data: derivedKey)
    }
}
