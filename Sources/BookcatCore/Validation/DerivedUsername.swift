/// The username of an account created without one (a signup that left it out, as the Django service allowed, or an
/// imported account the service kept without one): the e-mail's local part, kept to the characters a username may
/// have and to at least 3 of them, and when that one is taken, the same with a suffix.
///
/// `ada.lovelace+books@example.org` → `ada.lovelace+books`; `x@example.org` → `x_user`. An import numbers the
/// suffixes (`-2`, `-3`, …: reproducible, and nobody races it); a signup draws them at random (``forSignup(fromEmail:)``).
public enum DerivedUsername {
    /// Leaves room for the longest suffix under the 150-character limit.
    static let maximumBaseLength = 140

    /// The local part, then `-2`, `-3`, …: for imports.
    public static func candidates(fromEmail email: String) -> LazyMapSequence<PartialRangeFrom<Int>, String> {
        let base = base(fromEmail: email)
        return (1...).lazy.map { $0 == 1 ? base : "\(base)-\($0)" }
    }

    /// The local part, then a few with a random suffix of 8 letters and digits (40 bits): numbered suffixes could be
    /// taken ahead by anyone (twenty signups of `admin-2` … `admin-21` blocked every later `admin@…` signup), and
    /// say how many accounts share a local part.
    public static func forSignup(fromEmail email: String, randomOnes: Int = 4) -> [String] {
        let base = base(fromEmail: email)
        return [base] + (0..<randomOnes).map { _ in base + "-" + String((0..<8).map { _ in suffixAlphabet.randomElement()! }) }
    }

    /// Lower-case letters and digits without the look-alikes (`l`, `o`, `0`, `1`): 32 of them.
    private static let suffixAlphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")

    static func base(fromEmail email: String) -> String {
        let local = email.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in local.unicodeScalars
        where scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".+-_".unicodeScalars.contains(scalar) {
            guard scalars.count < maximumBaseLength else { break }
            scalars.append(scalar)
        }
        var base = String(scalars)
        if base.unicodeScalars.count < 3 { base = base.isEmpty ? "user" : base + "_user" }
        return base
    }
}
