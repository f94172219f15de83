import Crypto
import Foundation

extension SHA256 {
    /// The SHA-256 digest of `data` as lower-case hex, cut to its first `bytes` bytes: how cache keys (20 bytes),
    /// ETags (16) and stored refresh-token hashes (all 32) are written.
    ///
    /// Inlinable, like `hexString`, so a cache hit hashes and formats without generic dispatch.
    @inlinable
    public static func hex(of data: some DataProtocol, keepingBytes bytes: Int = SHA256.byteCount) -> String {
        precondition((1...SHA256.byteCount).contains(bytes), "a SHA-256 prefix is 1 to 32 bytes")
        return hash(data: data).prefix(bytes).hexString
    }
}
