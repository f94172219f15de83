/// What production asks of the token signing key beyond its length: anyone who learns the key can mint an admin
/// token, so a value published in this repository, a placeholder or a trivially guessable one must stop the service
/// before it serves, with a message that says how to make a real one.
enum ProductionSecret {
    /// Words that mark a value someone meant to replace (`.env.example` ships one of them).
    private static let placeholderMarks = ["change-me", "changeme", "change_me", "replace-me", "replaceme", "placeholder", "your-secret", "xxxxxxxx"]

    /// Why `secret` must not sign production tokens, or nil when it may.
    static func weakness(of secret: String) -> String? {
        let lowered = secret.lowercased()
        if let mark = placeholderMarks.first(where: { lowered.contains($0) }) {
            return "is a placeholder (it contains '\(mark)')"
        }
        // A random key of 32 or more bytes has many distinct characters; a handful means a pattern or a word.
        let distinct = Set(secret.utf8).count
        if distinct < 8 {
            return "is too regular to be secret (\(distinct) distinct characters)"
        }
        return nil
    }

    static let remedy = "generate one with `openssl rand -hex 32`"
}
