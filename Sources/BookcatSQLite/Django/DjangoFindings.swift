/// What reading the Django service's database found that bookcat cannot take as it is, a line each naming the row:
/// `bookcat import-django --check` prints them all before anything is written, and the import's report repeats the
/// resolutions.
public struct DjangoFindings: Sendable, Equatable {
    /// Values the service could not have written through its API (a NULL e-mail, stock `'lots'`, a NUL byte, an id
    /// of −5, a loan of 3.5 copies…): damage or a crafted file. Any of them refuses the whole import.
    public var refused: [String] = []
    /// What the service let in and bookcat's rules do not (duplicate tag names, duplicate or look-alike usernames,
    /// e-mails that differ only in case, tags its own bugs made), each with what the import does about it. The
    /// import goes ahead with these changes.
    public var resolved: [String] = []

    public init() {}

    /// Text from the file, for a line: quoted, control characters escaped, cut to 40 characters (a crafted value may
    /// be megabytes of anything).
    static func quote(_ text: String) -> String {
        let scalars = text.unicodeScalars
        // C0 and C1 controls and format characters (bidi overrides among them) are shown escaped: a terminal would act
        // on them.
        let shown = scalars.prefix(40).map { scalar in
            let hidden = scalar.value < 32 || (127...159).contains(scalar.value) || scalar.properties.generalCategory == .format
            return hidden ? scalar.escaped(asASCII: true) : String(scalar)
        }.joined()
        return "\"" + shown + (scalars.count > 40 ? "…" : "") + "\""
    }
}
