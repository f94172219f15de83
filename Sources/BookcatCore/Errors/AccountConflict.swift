/// How a taken e-mail or username is reported, worded once for every store: by the check before the write, and by
/// the unique index when two writers race past that check.
public enum AccountConflict {
    public static let emailTaken = "email is already registered"
    public static let usernameTaken =
        "username is already taken (or one too much like it, differing only in case, accents or look-alike letters)"
}
