import Foundation

/// Password rules shared by signup, login and password change.
public enum Password {
    public static let minimumBytes = 8
    /// bcrypt ignores everything after 72 bytes; accepting more would silently weaken long passwords.
    public static let maximumBytes = 72

    /// Unicode NFC, so a password typed as "é" precomposed or as "e" plus a combining accent verifies the same.
    public static func normalised(_ password: String) -> String {
        password.precomposedStringWithCanonicalMapping
    }
}
