import Foundation

/// What production asks of the token signing key beyond its length: anyone who learns the key can mint an admin
/// token (or re-sign their own to last a year), so a value published in this repository, a placeholder or a
/// guessable one must stop the service before it serves, with a message that says how to make a real one.
enum ProductionSecret {
    /// Words that mark a value someone meant to replace (`.env.example` ships one of them) or that a person made up
    /// for a test or an example (this repository's own test and benchmark keys contain `secret` or `bench`). Five
    /// letters or more: a random base64 key contains one by chance about once in two hundred thousand (shorter ones,
    /// `test` or `here`, once in a few thousand, which would stop a deploy at random); the message says to generate
    /// another.
    private static let madeUpMarks = [
        "change-me", "changeme", "change_me", "replace-me", "replaceme", "placeholder", "your-secret", "your_secret",
        "yoursecret", "secret", "xxxxxxxx", "bench", "example", "sample", "default", "password", "dummy", "fixme",
        "insecure", "local", "bookcat",
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
        if let run = longestStep(in: bytes), run >= 8 {
            return "is too regular to be secret (\(run) characters in a row such as 12345678 or abcdefgh)"
        }
        guard let format = GeneratedFormat(of: secret) else {
            return "is not a generated key (hex, base64, letters and digits, or a Django SECRET_KEY): a phrase or a made-up value "
                + "has far less entropy than its length"
        }
        let bits = format.bits(of: bytes)
        if bits < minimumBits {
            return "has about \(Int(bits)) bits of entropy as \(format.name); at least \(Int(minimumBits)) are needed"
        }
        return nil
    }

    /// What a key must carry, estimated from its format and length: 120 bits (30 hex characters, 20 of base64, a
    /// random UUID's 122).
    static let minimumBits = 120.0

    /// The shapes a key generator writes, each with the entropy per character it has when random. Anything else (a
    /// phrase with spaces, leetspeak joined by one kind of punctuation) was written by a person, whose characters
    /// carry far less than their count suggests: no list of words can say how much, so it is refused.
    enum GeneratedFormat {
        /// `openssl rand -hex 32`: one case of 0-9a-f.
        case hex
        /// `uuidgen`: 32 hex digits in groups of 8-4-4-4-12, whose version and variant fix 6 of the 128 bits.
        case uuid
        /// `tr -dc a-z0-9`: letters of one case and digits, both.
        case lettersAndDigits
        /// `openssl rand -base64 32`, base64url, or a password manager's letters and digits: both cases (a random
        /// one without either is one in billions).
        case base64
        /// Django's `get_random_secret_key()`: 50 of a-z, 0-9 and `!@#$%^&*(-_=+)`, two or more of those symbols
        /// among them (leetspeak joined by hyphens has one).
        case django

        private static let djangoSymbols = Set("!@#$%^&*(-_=+)".utf8)

        init?(of key: String) {
            let bytes = Array(key.utf8)
            func all(_ allowed: (UInt8) -> Bool) -> Bool { bytes.allSatisfy(allowed) }
            let digit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
            let lower = { (byte: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
            let upper = { (byte: UInt8) in (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
            func hex(_ digits: [UInt8]) -> Bool {
                digits.allSatisfy { digit($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
                    || digits.allSatisfy { digit($0) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
            }
            let uuidHyphens = [8, 13, 18, 23]
            if hex(bytes) {
                self = .hex
            } else if bytes.count == 36, uuidHyphens.allSatisfy({ bytes[$0] == UInt8(ascii: "-") }),
                hex(bytes.enumerated().filter { !uuidHyphens.contains($0.offset) }.map(\.element))
            {
                self = .uuid
            } else if all({ digit($0) || lower($0) }) || all({ digit($0) || upper($0) }),
                bytes.contains(where: digit), bytes.contains(where: { lower($0) || upper($0) })
            {
                self = .lettersAndDigits
            } else if all({ digit($0) || lower($0) || upper($0) || "+/-_=".utf8.contains($0) }),
                bytes.contains(where: lower), bytes.contains(where: upper)
            {
                self = .base64
            } else if all({ digit($0) || lower($0) || Self.djangoSymbols.contains($0) }), bytes.count >= 50,
                Set(bytes.filter(Self.djangoSymbols.contains)).count >= 2
            {
                self = .django
            } else {
                return nil
            }
        }

        /// The entropy `bytes` carry if a generator of this format made them; padding and separators carry none.
        func bits(of bytes: [UInt8]) -> Double {
            switch self {
            case .hex: 4 * Double(bytes.count)
            case .uuid: 122
            case .lettersAndDigits: log2(36) * Double(bytes.count)
            case .base64: 6 * Double(bytes.count { $0 != UInt8(ascii: "=") })
            case .django: log2(50) * Double(bytes.count)
            }
        }

        var name: String {
            switch self {
            case .hex: "hex"
            case .uuid: "a UUID"
            case .lettersAndDigits: "letters and digits"
            case .base64: "base64"
            case .django: "a Django key"
            }
        }
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
