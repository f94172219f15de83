/// How long one text field may be, checked where the text enters and before anything whose cost grows with it.
///
/// An audit sent a 1 MB login identifier (340,000 × U+FDFA, which NFKC turns into 18 letters each): normalising
/// and folding it inside a database read took 5.8 s and held a reader connection. So every field is bounded first,
/// by its UTF-8 length (constant time for a native string) and then by Unicode scalars (at most four bytes each),
/// and only text that passes is trimmed, normalised, folded or looked up.
public struct TextLimit: Sendable, Equatable {
    /// The most Unicode scalars the field may hold; what users are told, as "characters".
    public let maxScalars: Int

    public init(maxScalars: Int) {
        self.maxScalars = maxScalars
    }

    /// No scalar takes more than four bytes of UTF-8, so longer text cannot be within the limit.
    public var maxBytes: Int { maxScalars * 4 }

    /// An e-mail address: 254 is the longest a mail system delivers to (RFC 5321's path limit less its brackets).
    public static let email = TextLimit(maxScalars: 254)
    /// A username: 150, the rule the previous service used.
    public static let username = TextLimit(maxScalars: 150)
    /// A password presented to be checked (a login, a current password): bookcat's own are at most 72 bytes of
    /// NFC, but an account imported from the Django service keeps the one it had, and Django took up to 4,096
    /// characters (its `MAXIMUM_PASSWORD_LENGTH`).
    public static let presentedPassword = TextLimit(maxScalars: 4_096)
    /// A refresh token: a signed JWT of a few hundred bytes.
    public static let token = TextLimit(maxScalars: 2_048)

    /// What is wrong with `text`, e.g. "must be at most 150 characters (got 5003)", or nil when it fits.
    @inlinable
    public func violation(in text: some StringProtocol) -> String? {
        let bytes = text.utf8.count
        if bytes > maxBytes {
            return "must be at most \(maxScalars) characters (got \(bytes) bytes)"
        }
        if bytes > maxScalars {
            let scalars = text.unicodeScalars.count
            if scalars > maxScalars { return "must be at most \(maxScalars) characters (got \(scalars))" }
        }
        return nil
    }
}
