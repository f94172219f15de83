/// What production asks of the token signing key beyond its length: anyone who learns the key can mint an admin
/// token (or re-sign their own to last a year), so a value published in this repository, a placeholder or a
/// guessable one must stop the service before it serves, with a message that says how to make a real one.
enum ProductionSecret {
    /// Words that mark a value someone meant to replace (`.env.example` ships one of them) or that a person made up
    /// for a test or an example (this repository's own test and benchmark keys contain `test`, `bench` or
    /// `secret`). Keys from `openssl rand -hex 32` or `-base64 32` contain such a word by chance about once in a
    /// few hundred thousand; the message says to generate another.
    private static let madeUpMarks = [
        "change-me", "changeme", "change_me", "replace-me", "replaceme", "placeholder", "your-secret", "your_secret",
        "yoursecret", "secret", "xxxxxxxx", "here", "test", "bench", "example", "sample", "default", "password",
        "demo", "todo", "dummy", "fixme", "insecure", "local", "bookcat",
    ]

    /// Why `secret` must not sign production tokens, or nil when it may.
    static func weakness(of secret: String) -> String? {
        let lowered = secret.lowercased()
        if let mark = madeUpMarks.first(where: { lowered.contains($0) }) {
            return "is a placeholder or a made-up value (it contains '\(mark)')"
        }
        // A random key of 32 or more bytes has many distinct characters; a handful means a pattern or a word.
        let distinct = Set(secret.utf8).count
        if distinct < 8 {
            return "is too regular to be secret (\(distinct) distinct characters)"
        }
        let bytes = Array(secret.utf8)
        if let period = repeatingPeriod(of: bytes) {
            return "is too regular to be secret (the same \(period) characters repeated)"
        }
        if let run = longestStep(in: bytes), run >= 6 {
            return "is too regular to be secret (\(run) characters in a row such as 123456 or abcdef)"
        }
        return nil
    }

    /// The length of the shortest unit that `bytes` repeats (`12345678` four times: 8), when it is at most half.
    private static func repeatingPeriod(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for period in 1...(bytes.count / 2) where bytes.indices.allSatisfy({ bytes[$0] == bytes[$0 % period] }) {
            return period
        }
        return nil
    }

    /// The longest run of characters that each go up or down by one from the last (`0123456789`, `fedcba`).
    private static func longestStep(in bytes: [UInt8]) -> Int? {
        var longest = 1
        var run = 1
        var step = 0
        for (previous, next) in zip(bytes, bytes.dropFirst()) {
            let difference = Int(next) - Int(previous)
            if abs(difference) == 1, difference == step {
                run += 1
            } else {
                run = abs(difference) == 1 ? 2 : 1
                step = difference
            }
            longest = max(longest, run)
        }
        return longest
    }

    static let remedy = "generate one with `openssl rand -hex 32`"
}
