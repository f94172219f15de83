import BookcatCore
import HummingbirdBcrypt
import NIOConcurrencyHelpers

/// bcrypt, run on the password threads (``PasswordWork``): a hash takes tens to hundreds of milliseconds by design,
/// far too long to hold an event loop or a Swift concurrency thread, and a flood of them must not queue without end.
public struct PasswordHasher: Sendable {
    public let cost: UInt8
    public let work: PasswordWork

    public init(cost: Int, work: PasswordWork = PasswordWork()) {
        self.cost = UInt8(cost)
        self.work = work
    }

    /// Hashes an already validated, NFC-normalised password.
    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await work.run(.ordinary()) { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `hash` is one a password can match: bcrypt, or a well-formed Django PBKDF2 hash an import kept
    /// (``DjangoPasswordHash``; a malformed or overly costly one never matches).
    public func canVerify(_ hash: String) -> Bool {
        if DjangoPasswordHash.isDjango(hash) { return DjangoPasswordHash(hash) != nil }
        return hash.hasPrefix("$2") && hash.utf8.count == 60
    }

    /// Verifies a typed password against a stored hash (see ``canVerify(_:)``; anything else never matches). A
    /// Django hash is a costly check; `identifier` (what the login named) has two checks running at most. A
    /// password longer than bcrypt's limit never matches a bcrypt hash; a Django one it may (Django took up to 4,096
    /// characters, and an imported account keeps the password it had).
    public func verify(_ password: String, against hash: String, identifier: String? = nil) async throws -> Bool {
        if DjangoPasswordHash.isDjango(hash) {
            guard let django = DjangoPasswordHash(hash) else { return false }
            return try await work.run(.costly(identifier)) { django.matches(password) }
        }
        let password = Password.normalised(password)
        guard password.utf8.count <= Password.maximumBytes else { return false }
        return try await work.run(.ordinary(identifier)) { Bcrypt.verify(password, hash: hash) }
    }

    /// Whether a hash `password` was just verified against should be replaced by this hasher's own: a Django one,
    /// unless the password is past bcrypt's 72 bytes (bcrypt would cut it, so that account keeps its Django hash).
    public func needsRehash(_ hash: String, password: String) -> Bool {
        !hash.hasPrefix("$2") && Password.normalised(password).utf8.count <= Password.maximumBytes
    }

    /// A hash of a password nobody knows, verified when an account does not exist (or its hash can never match) so
    /// that a failed login takes as long whether or not the account exists. One per cost for the whole process: any
    /// hash of an unknown password serves, and each application built (every test builds one) need not pay for
    /// another.
    public func decoyHash() async throws -> String {
        if let known = Self.decoys.withLockedValue({ $0[cost] }) { return known }
        let decoy = try await hash("decoy password that never matches \(UInt64.random(in: 0...UInt64.max))")
        return Self.decoys.withLockedValue { decoys in
            if let raced = decoys[cost] { return raced }
            decoys[cost] = decoy
            return decoy
        }
    }

    private static let decoys = NIOLockedValueBox<[UInt8: String]>([:])
}
