/// The mailboxes bookcat takes: `local@domain` with an RFC 5322 dot-atom before the `@` and a host name after it, in
/// ASCII. Every address this accepts is also a `format: email` to JSON Schema validators (the contract says so in
/// every response that carries one), which is why quoted local parts, address literals (`[127.0.0.1]`) and
/// Unicode (rather than its `xn--` form) are left out, though RFC 5321 allows them.
public enum EmailAddress {
    /// Characters a dot-atom may hold besides letters and digits (RFC 5322's `atext`).
    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~".unicodeScalars)

    /// Whether `address`, as written (trimmed, not case-folded), is such a mailbox of at most 254 characters with a
    /// local part of at most 64.
    public static func isValid(_ address: String) -> Bool {
        let scalars = Array(address.unicodeScalars)
        guard scalars.count <= 254, let at = scalars.lastIndex(of: "@") else { return false }
        let local = scalars[..<at]
        let domain = scalars[(at + 1)...]
        return isDotAtom(local) && local.count <= 64 && isHostName(domain)
    }

    private static func isDotAtom(_ text: ArraySlice<Unicode.Scalar>) -> Bool {
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty
            && atoms.allSatisfy { atom in
                !atom.isEmpty && atom.allSatisfy { isLetterOrDigit($0) || atextSymbols.contains($0) }
            }
    }

    /// Two or more labels of letters, digits and inner hyphens, each of 1 to 63, no dot at either end.
    private static func isHostName(_ text: ArraySlice<Unicode.Scalar>) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return text.count <= 253 && labels.count >= 2
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { isLetterOrDigit($0) || $0 == "-" }
            }
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
