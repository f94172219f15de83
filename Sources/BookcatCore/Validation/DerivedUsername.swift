/// The username of an account created without one (a signup that left it out, as the Django service allowed, or an
/// imported account the service kept without one): the e-mail's local part, kept to the characters a username may
/// have and to at least 3 of them, then the same with `-2`, `-3`, … for when that one is taken.
///
/// `ada.lovelace+books@example.org` → `ada.lovelace+books`, `ada.lovelace+books-2`, …; `x@example.org` → `x_user`.
public enum DerivedUsername {
    /// Leaves room for the longest suffix under the 150-character limit.
    static let maximumBaseLength = 140

    public static func candidates(fromEmail email: String) -> LazyMapSequence<PartialRangeFrom<Int>, String> {
        let local = email.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in local.unicodeScalars
        where scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".+-_".unicodeScalars.contains(scalar) {
            guard scalars.count < maximumBaseLength else { break }
            scalars.append(scalar)
        }
        var base = String(scalars)
        if base.unicodeScalars.count < 3 { base = base.isEmpty ? "user" : base + "_user" }
        return (1...).lazy.map { $0 == 1 ? base : "\(base)-\($0)" }
    }
}
